// Drives the real OpenTelemetry JS metrics SDK for tests/integration/test_otlp.py.
//
//   node otel_client.js plan.json
//
// plan.json:
//   {"protocol": "grpc" | "http/protobuf" | "http/json",
//    "endpoint": "http://HOST:PORT" (grpc) or "http://HOST:PORT/v1/metrics" (http),
//    "temporality": "cumulative" | "delta",
//    "resource": {"service.name": ..., ...},      merged over the SDK's default resource
//    "meter": {"name": ..., "version": ...},
//    "exports": N,                                 export rounds
//    "headers": {...},                             HTTP headers / gRPC metadata (optional)
//    "timeout_millis": 10000,                      per export, retries included (optional)
//    "instruments": [
//      {"kind": "counter" | "up_down_counter" | "histogram" | "gauge" | "observable_counter" |
//               "observable_up_down_counter" | "observable_gauge",
//       "name": ..., "unit": ..., "description": ...,
//       "value_type": "int" | "double",            (optional, default double)
//       "advice": {"explicitBucketBoundaries": [...]},                       (optional)
//       "view": {"aggregation": "explicit_bucket_histogram", "boundaries": [...]} or
//               {"aggregation": "exponential_histogram", "max_size": 160}   (optional)
//       "rounds": [[[value, {attributes}], ...], ...]}]}
//
// Round r: the synchronous instruments record rounds[r]'s measurements, the observable ones
// observe rounds[r] in their callback (an observable counter's values are its running totals,
// as an application would report them), then forceFlush() collects and exports once. After
// `exports` rounds the provider is shut down. The reader's shutdown runs one more collection;
// everything was exported in the last round, so that final export is not sent and each round
// is exactly one request.
//
// The SDK only logs failed exports through diag, so the exporter's export() is wrapped to keep
// every ExportResult: any failed, missing or unfinished export, any rejected data point
// (partial success) and any SDK error makes the driver print it and exit 1. On success the
// last stdout line is a JSON summary: {"exports": [...], "resource": {attributes sent},
// "warnings": [...]}.
'use strict';
const fs = require('fs');
const api = require('@opentelemetry/api');
const { MeterProvider, PeriodicExportingMetricReader, AggregationType } =
  require('@opentelemetry/sdk-metrics');
const { defaultResource, resourceFromAttributes } = require('@opentelemetry/resources');
const { AggregationTemporalityPreference } = require('@opentelemetry/exporter-metrics-otlp-http');

const EXPORT_SUCCESS = 0;  // ExportResultCode.SUCCESS in @opentelemetry/core

const sdkErrors = [];
const warnings = [];
const rejected = [];

function formatArgs(args) {
  return args.map((a) => (a instanceof Error ? a.stack || String(a)
    : typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
}

api.diag.setLogger({
  error: (...args) => {
    const msg = formatArgs(args);
    sdkErrors.push(msg);
    console.error(`otel error: ${msg}`);
  },
  warn: (...args) => {
    const msg = formatArgs(args);
    warnings.push(msg);
    console.error(`otel warn: ${msg}`);
    if (typeof args[0] === 'string' && args[0].startsWith('Received Partial Success')) {
      let partial = {};
      try { partial = JSON.parse(args[1]); } catch (e) { /* keep {} */ }
      if (Number(partial.rejectedDataPoints || 0) > 0) rejected.push(msg);
    }
  },
  info: () => {},
  debug: () => {},
  verbose: () => {},
}, api.DiagLogLevel.WARN);

function makeExporter(plan) {
  const temporalityPreference = {
    cumulative: AggregationTemporalityPreference.CUMULATIVE,
    delta: AggregationTemporalityPreference.DELTA,
  }[plan.temporality || 'cumulative'];
  if (temporalityPreference === undefined) throw new Error(`bad temporality ${plan.temporality}`);
  const common = { url: plan.endpoint, temporalityPreference };
  if (plan.timeout_millis) common.timeoutMillis = plan.timeout_millis;
  const headers = plan.headers || {};
  switch (plan.protocol) {
    case 'grpc': {
      const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-grpc');
      const options = { ...common };
      if (Object.keys(headers).length > 0) {
        // grpc-js comes with the gRPC exporter; metadata is how it sends headers.
        const { Metadata } = require('@grpc/grpc-js');
        options.metadata = new Metadata();
        for (const [k, v] of Object.entries(headers)) options.metadata.set(k, v);
      }
      return new OTLPMetricExporter(options);
    }
    case 'http/protobuf': {
      const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-proto');
      return new OTLPMetricExporter({ ...common, headers });
    }
    case 'http/json': {
      const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-http');
      return new OTLPMetricExporter({ ...common, headers });
    }
    default:
      throw new Error(`bad protocol ${plan.protocol}`);
  }
}

function viewFor(spec) {
  if (!spec.view) return null;
  let aggregation;
  switch (spec.view.aggregation) {
    case 'explicit_bucket_histogram':
      aggregation = { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
                      options: { boundaries: spec.view.boundaries } };
      break;
    case 'exponential_histogram':
      aggregation = { type: AggregationType.EXPONENTIAL_HISTOGRAM,
                      options: spec.view.max_size ? { maxSize: spec.view.max_size } : undefined };
      break;
    default:
      throw new Error(`bad view aggregation ${spec.view.aggregation} for ${spec.name}`);
  }
  return { instrumentName: spec.name, aggregation };
}

function countPoints(resourceMetrics) {
  let n = 0;
  for (const sm of resourceMetrics.scopeMetrics) {
    for (const m of sm.metrics) n += m.dataPoints.length;
  }
  return n;
}

async function main() {
  const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const rounds = plan.exports;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`bad exports ${plan.exports}`);

  const exporter = makeExporter(plan);
  const exportLog = [];
  let round = 0;
  let closing = false;
  let sentResource = null;
  const originalExport = exporter.export.bind(exporter);
  exporter.export = (metrics, resultCallback) => {
    if (closing) {
      resultCallback({ code: EXPORT_SUCCESS });
      return;
    }
    const entry = { round, data_points: countPoints(metrics), code: null, error: null };
    exportLog.push(entry);
    sentResource = metrics.resource.attributes;
    originalExport(metrics, (result) => {
      entry.code = result.code;
      if (result.error) entry.error = result.error.stack || String(result.error);
      resultCallback(result);
    });
  };

  const views = plan.instruments.map(viewFor).filter((v) => v !== null);
  const provider = new MeterProvider({
    resource: defaultResource().merge(resourceFromAttributes(plan.resource || {})),
    views,
    readers: [new PeriodicExportingMetricReader({
      exporter,
      // Rounds are driven by forceFlush(); the timer must never fire on its own.
      exportIntervalMillis: 3600 * 1000,
      exportTimeoutMillis: 60 * 1000,
    })],
  });
  const meter = provider.getMeter(plan.meter.name, plan.meter.version);

  const measurementsOf = (spec, r) => (spec.rounds[r] || []);
  const sync = [];
  for (const spec of plan.instruments) {
    const options = { description: spec.description || '', unit: spec.unit || '',
                      valueType: spec.value_type === 'int' ? api.ValueType.INT
                                                          : api.ValueType.DOUBLE };
    if (spec.advice) options.advice = spec.advice;
    const observe = (result) => {
      for (const [value, attributes] of measurementsOf(spec, Math.min(round, rounds - 1))) {
        result.observe(value, attributes || {});
      }
    };
    switch (spec.kind) {
      case 'counter':
        sync.push([spec, meter.createCounter(spec.name, options), 'add']);
        break;
      case 'up_down_counter':
        sync.push([spec, meter.createUpDownCounter(spec.name, options), 'add']);
        break;
      case 'histogram':
        sync.push([spec, meter.createHistogram(spec.name, options), 'record']);
        break;
      case 'gauge':
        sync.push([spec, meter.createGauge(spec.name, options), 'record']);
        break;
      case 'observable_counter':
        meter.createObservableCounter(spec.name, options).addCallback(observe);
        break;
      case 'observable_up_down_counter':
        meter.createObservableUpDownCounter(spec.name, options).addCallback(observe);
        break;
      case 'observable_gauge':
        meter.createObservableGauge(spec.name, options).addCallback(observe);
        break;
      default:
        throw new Error(`bad instrument kind ${spec.kind} for ${spec.name}`);
    }
  }

  for (round = 0; round < rounds; round++) {
    for (const [spec, instrument, method] of sync) {
      for (const [value, attributes] of measurementsOf(spec, round)) {
        instrument[method](value, attributes || {});
      }
    }
    const before = exportLog.length;
    await provider.forceFlush();
    const mine = exportLog.slice(before);
    if (mine.length !== 1) {
      throw new Error(`round ${round}: ${mine.length} exports instead of 1`);
    }
    if (mine[0].code === null) throw new Error(`round ${round}: export did not finish`);
    if (mine[0].code !== EXPORT_SUCCESS) {
      throw new Error(`round ${round}: export failed (code ${mine[0].code}): ${mine[0].error}`);
    }
  }
  round = rounds - 1;
  closing = true;
  await provider.shutdown();

  if (rejected.length > 0) throw new Error(`data points rejected: ${rejected.join('; ')}`);
  if (sdkErrors.length > 0) throw new Error(`SDK errors: ${sdkErrors.join('; ')}`);
  console.log(JSON.stringify({ exports: exportLog, resource: sentResource, warnings }));
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
