import { EventEmitter } from 'node:events';

/** An EventEmitter whose events and listener arguments are typed. */
export class TypedEmitter<E extends { [K in keyof E]: unknown[] }> extends EventEmitter {
  override on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }
  override once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }
  override off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }
  override emit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    return super.emit(event, ...args);
  }
}
