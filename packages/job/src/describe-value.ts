/** A value as an error quotes it: JSON where possible, cut short (a message may carry anything). */
export function describeValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = typeof value;
  }
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** A value as an option error quotes it: a string as written, anything else as {@link describeValue} shows it. */
export function describeOption(value: unknown): string {
  return typeof value === 'string' ? value : describeValue(value);
}
