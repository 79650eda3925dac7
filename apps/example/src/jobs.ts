// The example app's jobs. `npx partita worker --jobs ./dist/jobs.js` runs them.
import { Job, JobContext } from '@partita/job';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ProfileChange {
  userId: string;
  seq: number;
  field: string;
  value: string;
}

/** Applies one change to a user's profile. A user's changes must apply in the order they were made. */
export class UpdateProfile extends Job<ProfileChange, string> {
  static queue = 'example.profiles';
  static options = {
    partitioner: (job: { data: ProfileChange }) => job.data.userId,
    attempts: 3,
    backoff: { type: 'exponential' as const, delay: 200 },
  };

  async perform(change: ProfileChange, ctx: JobContext): Promise<string> {
    await pause(150 + Math.random() * 100); // pretend to talk to a database
    const line = `user ${change.userId} change #${change.seq}: ${change.field} = ${change.value}`;
    console.log(`[job] ${line} (partition ${ctx.partition}, offset ${ctx.offset})`);
    return line;
  }
}

export interface OrderStep {
  orderId: string;
  seq: number;
  step: 'reserve' | 'charge' | 'ship';
}

/** Moves an order through its steps; an order's steps must never run concurrently or out of order. */
export class AdvanceOrder extends Job<OrderStep, string> {
  static queue = 'example.orders';
  static options = { partitioner: (job: { data: OrderStep }) => job.data.orderId };

  async perform(step: OrderStep, ctx: JobContext): Promise<string> {
    await pause(200);
    const line = `order ${step.orderId} change #${step.seq}: ${step.step}`;
    console.log(`[job] ${line} (partition ${ctx.partition}, offset ${ctx.offset})`);
    return line;
  }
}
