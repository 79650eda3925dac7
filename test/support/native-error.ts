import { LibrdKafkaError } from '@confluentinc/kafka-javascript';

/** The Kafka binding's errors inherit from Error at run time; its typings leave that out. */
export function nativeError(error: LibrdKafkaError): LibrdKafkaError & Error {
  return error as LibrdKafkaError & Error;
}
