// What a worker process runs beside delivery: background jobs (replays), taken one at a time with
// a lease and run chunk by chunk, periodic maintenance (auto-disable sweep, retention purge) and,
// on PGlite, the vacuuming PostgreSQL's autovacuum would do.
// Jobs are found by polling (HERALD_POLL_INTERVAL): a replay may start a second late, and the hot
// path's wake-ups do not cost a jobs query each.
import type { Context } from '../services/context.ts';
import { autoDisableEndpoints, purgeExpired, tidyPglite } from '../services/maintenance.ts';
import { replayKind, runReplayChunk, type ChunkResult } from '../services/replay.ts';
import { claimJob, finishJob, type Job } from '../store/jobs.ts';

const jobLeaseMs = 30_000;
/** How often PGlite's tables are checked for growth (a catalog query; vacuuming only when grown). */
const tidyEveryMs = 5_000;

const handlers: Record<string, (ctx: Context, job: Job, leaseMs: number) => Promise<ChunkResult>> = {
  [replayKind]: runReplayChunk,
};

export class Background {
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly ctx: Context) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = [this.jobLoop(), this.maintenanceLoop(), ...(this.ctx.db.driver === 'pglite' ? [this.tidyLoop()] : [])];
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeAll();
    await Promise.all(this.loops);
  }

  private wakeAll(): void {
    for (const wake of this.sleepers) wake();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private async jobLoop(): Promise<void> {
    while (this.running) {
      let job: Job | null = null;
      try {
        job = await claimJob(this.ctx.db, jobLeaseMs);
        if (job) await this.runJob(job);
      } catch (error) {
        this.ctx.log.error({ err: error, jobId: job?.id }, 'background job failed; it will be resumed');
      }
      if (!job && this.running) await this.sleep(this.ctx.config.pollIntervalMs);
    }
  }

  /** Runs chunks until the job is done or this process stops (the job then resumes elsewhere). */
  private async runJob(job: Job): Promise<void> {
    const handler = handlers[job.kind];
    if (!handler) return finishJob(this.ctx.db, job.id, { status: 'failed', error: `unknown job kind ${job.kind}` });
    while (this.running) {
      const result = await handler(this.ctx, job, jobLeaseMs);
      if (result.done) {
        await finishJob(this.ctx.db, job.id, result.error ? { status: 'failed', error: result.error } : { status: 'succeeded' });
        return;
      }
    }
  }

  private async maintenanceLoop(): Promise<void> {
    while (this.running) {
      try {
        await autoDisableEndpoints(this.ctx);
        await purgeExpired(this.ctx);
      } catch (error) {
        this.ctx.log.error({ err: error }, 'maintenance failed; retrying at the next interval');
      }
      await this.sleepUntil(Date.now() + this.ctx.config.maintenanceIntervalMs);
    }
  }

  private async tidyLoop(): Promise<void> {
    while (this.running) {
      try {
        const vacuumed = await tidyPglite(this.ctx);
        if (vacuumed.length > 0) this.ctx.log.debug({ tables: vacuumed }, 'vacuumed grown tables');
      } catch (error) {
        this.ctx.log.error({ err: error }, 'vacuuming failed; retrying at the next interval');
      }
      await this.sleepUntil(Date.now() + tidyEveryMs);
    }
  }

  private async sleepUntil(until: number): Promise<void> {
    while (this.running && Date.now() < until) await this.sleep(until - Date.now());
  }
}
