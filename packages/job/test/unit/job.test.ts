import { EnqueueResult, Job, JobOptions, JobValidationError } from '../../src';
import { JobDispatcher, JobRequest, setJobDispatcher } from '../../src/subpaths/dispatch';

class Recorder implements JobDispatcher {
  readonly requests: JobRequest[] = [];
  enqueue(request: JobRequest): Promise<EnqueueResult> {
    this.requests.push(request);
    return Promise.resolve({ id: `id-${this.requests.length}` });
  }
  async enqueueAll(requests: JobRequest[]): Promise<EnqueueResult[]> {
    return Promise.all(requests.map((r) => this.enqueue(r)));
  }
}

class Resize extends Job<{ imageId: string; width: number }> {
  static queue = 'images';
  static options: JobOptions<{ imageId: string }> = { partitioner: (job) => job.data.imageId, attempts: 2 };
  perform(): void {}
}

let recorder: Recorder;
beforeEach(() => {
  recorder = new Recorder();
  setJobDispatcher(recorder);
});
afterAll(() => setJobDispatcher(undefined));

describe('Job.performLater / performAllLater', () => {
  it('hands the dispatcher a request with queue, name, data, resolved class options and opts', async () => {
    const result = await Resize.performLater({ imageId: 'img-1', width: 100 }, { dispatch: 'sync' });
    expect(result).toEqual({ id: 'id-1' });
    const [request] = recorder.requests;
    expect(request).toMatchObject({ queue: 'images', name: 'Resize', data: { imageId: 'img-1', width: 100 }, opts: { dispatch: 'sync' } });
    expect(request.classOptions.attempts).toBe(2);
    expect(typeof request.classOptions.partitioner).toBe('function');
  });

  it('performAllLater takes plain data or { data, opts } items', async () => {
    await Resize.performAllLater([
      { imageId: 'a', width: 1 },
      { data: { imageId: 'b', width: 2 }, opts: { jobId: 'mine' } },
    ]);
    expect(recorder.requests.map((r) => [r.data, r.opts])).toEqual([
      [{ imageId: 'a', width: 1 }, undefined],
      [{ imageId: 'b', width: 2 }, { jobId: 'mine' }],
    ]);
  });

  it('rejects (never throws synchronously) for a class without queue', async () => {
    class Orphan extends Job {
      perform(): void {}
    }
    let promise: Promise<unknown> | undefined;
    expect(() => (promise = Orphan.performLater({}))).not.toThrow();
    await expect(promise).rejects.toBeInstanceOf(JobValidationError);
    await expect(Orphan.performAllLater([{}])).rejects.toThrow(/Orphan has no queue/);
    expect(recorder.requests).toHaveLength(0);
  });
});
