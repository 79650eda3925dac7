import { PartitaError } from '@partita/job';

// The Kafka layer's errors are the enqueuer's too: a user catches them from `add()` and `performLater`.
export {
  BrokerUnavailableError,
  ConfigurationError,
  DeliveryError,
  EnqueuerClosedError,
  EnqueueTimeoutError,
  TopicAdminError,
  TopicConfigUnavailableError,
  TopicMismatchError,
  TopicNotFoundError,
} from '@partita/kafka';

/** A state read (`getJob`, `getJobCounts`…) on a Queue without a state store. */
export class StateNotEnabledError extends PartitaError {}

export { StateModuleMissingError } from '@partita/job';
