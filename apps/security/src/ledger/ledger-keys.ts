import { Inject, Injectable } from '@nestjs/common';
import { SERVICE_CONFIG } from '@urbis/runtime';
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { SecurityConfig } from '../config';

/** The Ed25519 key that signs checkpoints: from LEDGER_SIGNING_KEY, or the public development key. */
@Injectable()
export class LedgerKeys {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** First 16 hex digits of the sha256 of the public key (SPKI DER): names the key in checkpoints. */
  readonly keyId: string;
  /** The public key as PEM (SPKI), for oversight bodies verifying exports. */
  readonly publicKeyPem: string;
  readonly development: boolean;

  constructor(@Inject(SERVICE_CONFIG) config: SecurityConfig) {
    this.development = config.ledger.developmentKey;
    this.privateKey = config.ledger.signingKey;
    this.publicKey = createPublicKey(this.privateKey);
    const spki = this.publicKey.export({ format: 'der', type: 'spki' });
    this.keyId = createHash('sha256').update(spki).digest('hex').slice(0, 16);
    this.publicKeyPem = this.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  }

  /** The keys checkpoints may name (today one; a rotation would add the previous public keys here). */
  verificationKeys(): ReadonlyMap<string, KeyObject> {
    return new Map([[this.keyId, this.publicKey]]);
  }
}
