import type { InboundMessage } from '../../src/core/inbound-message';

/** A message of topic `q` (by default) as the shell would hand it over. */
export function msg(partition: number, offset: number, key: string | null, extra: Partial<InboundMessage> = {}): InboundMessage {
  return { topic: 'q', partition, offset, key, headers: {}, value: null, ...extra };
}
