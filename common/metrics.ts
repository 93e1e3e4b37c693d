/**
 * The Prometheus set-up both services share: one registry per service (GET /metrics on its port),
 * and metrics that register in it without each declaration repeating `registers`.
 */
import { Counter, Gauge, Histogram, Registry, type CounterConfiguration, type HistogramConfiguration } from 'prom-client';

type Unregistered<T> = Omit<T, 'registers'>;

export class MetricRegistry {
  readonly registry = new Registry();

  protected counter<L extends string>(config: Unregistered<CounterConfiguration<L>>): Counter<L> {
    return new Counter({ ...config, registers: [this.registry] });
  }

  protected histogram<L extends string>(config: Unregistered<HistogramConfiguration<L>>): Histogram<L> {
    return new Histogram({ ...config, registers: [this.registry] });
  }

  /** A gauge read at each scrape; a null reading (not known yet) leaves the value as it was. */
  protected sampledGauge(name: string, help: string, read: () => number | null): Gauge {
    return new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        const value = read();
        if (value !== null) this.set(value);
      },
    });
  }
}
