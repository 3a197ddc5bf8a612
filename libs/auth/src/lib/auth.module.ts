import { type DynamicModule, type InjectionToken, Module, type ModuleMetadata, type OptionalFactoryDependency, type Provider } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';

import { ACCESS_TOKEN_VERIFIER } from './access-token-verifier';
import { AuthExceptionFilter } from './auth-exception.filter';
import { AuthGuard } from './auth.guard';
import { AUTH_OPTIONS, type AuthModuleOptions, resolveAuthOptions } from './auth.options';
import { KeycloakConnectTokenVerifier } from './keycloak-connect.verifier';

export interface AuthModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...args: never[]) => AuthModuleOptions | Promise<AuthModuleOptions>;
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  /** Register the guard globally (APP_GUARD). Default true. */
  global?: boolean;
}

const shared: Provider[] = [
  { provide: ACCESS_TOKEN_VERIFIER, useClass: KeycloakConnectTokenVerifier },
  AuthGuard,
  { provide: APP_FILTER, useClass: AuthExceptionFilter },
];

/**
 * Verifies Keycloak access tokens on every HTTP route (unless `global: false`, then use
 * `@UseGuards(AuthGuard)`), enforces `@Roles()` and the tenant rule, and answers refusals with
 * RFC 7807 problem details.
 */
@Module({})
export class AuthModule {
  static forRoot(options: AuthModuleOptions): DynamicModule {
    const resolved = resolveAuthOptions(options);
    return AuthModule.build([{ provide: AUTH_OPTIONS, useValue: resolved }], resolved.global, []);
  }

  static forRootAsync(options: AuthModuleAsyncOptions): DynamicModule {
    const factory = options.useFactory as (...args: unknown[]) => AuthModuleOptions | Promise<AuthModuleOptions>;
    const optionsProvider: Provider = {
      provide: AUTH_OPTIONS,
      useFactory: async (...args: unknown[]) => resolveAuthOptions(await factory(...args)),
      inject: options.inject ?? [],
    };
    return AuthModule.build([optionsProvider], options.global ?? true, options.imports ?? []);
  }

  private static build(optionProviders: Provider[], global: boolean, imports: NonNullable<ModuleMetadata['imports']>): DynamicModule {
    const guard: Provider[] = global ? [{ provide: APP_GUARD, useExisting: AuthGuard }] : [];
    return {
      module: AuthModule,
      global: true,
      imports,
      providers: [...optionProviders, ...shared, ...guard],
      exports: [AUTH_OPTIONS, ACCESS_TOKEN_VERIFIER, AuthGuard],
    };
  }
}
