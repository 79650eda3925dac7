/** A message as the core sees it: what the Kafka shell hands over, decoupled from the client's types. */
export interface InboundMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly value: Buffer | null;
  /** Broker timestamp in epoch ms, when known. */
  readonly timestamp?: number;
}

/** What a virtual partitioner sees: key and headers, never the payload (seed 002). */
export type RoutableMessage = Pick<InboundMessage, 'topic' | 'partition' | 'offset' | 'key' | 'headers'>;
