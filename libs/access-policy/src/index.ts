export {
  type AccessAction,
  type AccessDecision,
  type AccessRequest,
  type AccessSubject,
  type DecisionReason,
  evaluate,
  type EvaluateOptions,
  type Policy,
  type PolicyResource,
} from './evaluate';
export { PolicyCache } from './policy-cache';
export { PolicyFeed, type PolicyFeedOptions } from './policy-feed';
export { policyInput, type PolicyInput } from './policy-input';
