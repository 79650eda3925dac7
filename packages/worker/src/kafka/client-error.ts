import type { LibrdKafkaError } from '@confluentinc/kafka-javascript';
import { KafkaClientError } from '../errors';

/** librdkafka's error objects are not `Error`s: wraps them (keeping their code) so that callers always get an Error. */
export function kafkaError(err: LibrdKafkaError): Error {
  return err instanceof Error ? err : new KafkaClientError(err.code, err.message);
}
