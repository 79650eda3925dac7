/** One header as it came over the wire: the exact bytes of its value. */
export interface RawHeader {
  readonly name: string;
  readonly value: Buffer;
}

/** A message as the core sees it: what the Kafka shell hands over, decoupled from the client's types. */
export interface InboundMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  /**
   * The headers by name, values decoded as UTF-8 (a repeated name: its last value). For reading;
   * copies of the message (the DLQ's) use {@link rawHeaders}.
   */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The headers as received, in order, with the exact bytes of each value: repeated names and
   * non-UTF-8 values kept. Absent when the message was not received from Kafka (then `headers` is all).
   */
  readonly rawHeaders?: ReadonlyArray<RawHeader>;
  readonly value: Buffer | null;
  /** Broker timestamp in epoch ms, when known. */
  readonly timestamp?: number;
}

/** What a virtual partitioner sees: key and headers, never the payload. */
export type RoutableMessage = Pick<InboundMessage, 'topic' | 'partition' | 'offset' | 'key' | 'headers'>;
