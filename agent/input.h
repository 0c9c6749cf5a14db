#pragma once

// Input: a source of samples on the agent (a scrape job, the host collector, StatsD, OTLP...).
//
// Lifecycle: the agent builds every input from config, calls Start() once with the sink that all
// inputs share, and calls Stop() once at shutdown or reload. An input runs its own threads (named
// after it) between Start() and Stop(); after Stop() returns it never touches the sink again.
//
// Backpressure: SampleSink::Push() never blocks for long. When the agent's queue is full the sink
// applies its documented policy (drop the oldest samples, counted in
// strata_agent_dropped_samples_total{reason="queue_full"}), so an input never needs to buffer.
//
// Registration: an input lives in agent/inputs/<name>/ and is created from its YAML section in
// agent/inputs/registry.cc (one line per input type).

#include <string>

#include "absl/status/status.h"
#include "common/model/sample.h"

namespace strata::agent {

class SampleSink {
 public:
  virtual ~SampleSink() = default;
  // Takes ownership of a batch of samples. Thread-safe; may be called from any input thread.
  virtual void Push(common::SampleBatch batch) = 0;
};

class Input {
 public:
  virtual ~Input() = default;
  // A short stable name used in logs, metrics and thread names ("scrape/node", "host").
  virtual std::string Name() const = 0;
  // Starts the input's threads; samples go to `sink`, which outlives the input. Returns an error
  // (and starts nothing) when the input cannot run, e.g. a port is taken.
  virtual absl::Status Start(SampleSink& sink) = 0;
  // Stops the threads and returns once they have exited. Idempotent.
  virtual void Stop() = 0;
};

}  // namespace strata::agent
