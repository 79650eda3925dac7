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

/**
 * Job state was asked for (a `state` option or `PARTITA_REDIS_URL`) but @partita/state is not
 * installed: it is an optional peer dependency, so that apps without job state do not install Redis's client.
 */
export class StateModuleMissingError extends PartitaError {
  constructor(cause: unknown) {
    super('job state needs @partita/state, which is not installed: run `npm install @partita/state`, or unset PARTITA_REDIS_URL / the state option', { cause });
  }
}
