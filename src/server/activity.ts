/**
 * What the status page shows of the server's recent work, kept in memory: the last exchange
 * with each peer per table and direction, and the latest errors (messages only, no secrets).
 */
export interface Exchange {
  peer: string;
  table: string;
  direction: 'push' | 'pull';
  at: Date;
  rows: number;
}

export interface RecentError {
  at: Date;
  method: string;
  route: string;
  status: number;
  message: string;
}

const KEEP_ERRORS = 20;

export class Activity {
  readonly startedAt = new Date();
  private readonly exchanges = new Map<string, Exchange>();
  private readonly errors: RecentError[] = [];

  exchanged(exchange: Omit<Exchange, 'at'>): void {
    const key = `${exchange.peer}\n${exchange.table}\n${exchange.direction}`;
    this.exchanges.set(key, { ...exchange, at: new Date() });
  }

  failed(error: Omit<RecentError, 'at'>): void {
    this.errors.unshift({ ...error, at: new Date() });
    this.errors.length = Math.min(this.errors.length, KEEP_ERRORS);
  }

  lastExchanges(): Exchange[] {
    return [...this.exchanges.values()].sort((a, b) => b.at.getTime() - a.at.getTime());
  }

  recentErrors(): readonly RecentError[] {
    return this.errors;
  }
}
