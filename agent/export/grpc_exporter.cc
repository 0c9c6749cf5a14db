#include "agent/export/grpc_exporter.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <random>

#include "common/base/log.h"
#include "strata/v1/ingest.grpc.pb.h"

namespace strata::agent {
namespace {

using common::Log;
using common::LogLevel;

constexpr char kComponent[] = "export";

bool Retryable(v1::RejectReason reason) {
  return reason == v1::UNAVAILABLE || reason == v1::UNKNOWN_SERIES_REF;
}

}  // namespace

GrpcExporter::GrpcExporter(ExporterOptions options, SampleQueue& queue, common::Registry& registry)
    : options_(std::move(options)),
      queue_(queue),
      registry_(registry),
      batches_acked_(registry.GetCounter("strata_agent_export_batches_total",
                                         "Batches answered by the collector, by result.",
                                         {{"result", "acked"}})),
      samples_acked_(registry.GetCounter("strata_agent_export_samples_acked_total",
                                         "Samples the collector acknowledged as stored.")),
      connect_failures_(registry.GetCounter(
          "strata_agent_export_connect_failures_total",
          "Failed connection attempts to the collector (unreachable, TLS refused, timeout).")),
      stream_breaks_(registry.GetCounter("strata_agent_export_stream_breaks_total",
                                         "Established streams that ended with an error.")),
      bytes_sent_(registry.GetCounter("strata_agent_export_sent_bytes_total",
                                      "Compressed payload bytes sent to the collector.")),
      bytes_uncompressed_(registry.GetCounter("strata_agent_export_uncompressed_bytes_total",
                                              "Payload bytes before compression.")),
      connected_(registry.GetGauge("strata_agent_export_connected",
                                   "1 while a stream to the collector is established.")),
      in_flight_gauge_(registry.GetGauge("strata_agent_export_in_flight_batches",
                                         "Batches sent and not yet answered.")) {}

GrpcExporter::~GrpcExporter() { Stop(0); }

absl::Status GrpcExporter::Start() {
  absl::StatusOr<common::TlsMaterial> tls =
      common::LoadTlsMaterial(options_.tls, /*require_cert=*/false);
  if (!tls.ok()) return tls.status();
  tls_ = *std::move(tls);
  if (tls_.cert_pem.empty()) {
    Log(LogLevel::kWarn, kComponent,
        "no client certificate configured; a collector requiring mTLS will refuse this agent");
  }
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void GrpcExporter::Stop(int64_t flush_timeout_ms) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_requested_ && !thread_.joinable()) return;
    stop_requested_ = true;
    drain_deadline_ms_ = clock_.MonotonicMs() + flush_timeout_ms;
  }
  cv_.notify_all();
  queue_.Close();
  if (thread_.joinable()) thread_.join();
}

bool GrpcExporter::SleepInterruptible(int64_t ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_requested_; });
}

void GrpcExporter::Run() {
  pthread_setname_np(pthread_self(), "export");
  std::mt19937_64 rng(std::random_device{}());
  int64_t backoff = options_.backoff_initial_ms;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_requested_ && (queue_.size() == 0 || clock_.MonotonicMs() >= drain_deadline_ms_)) {
        break;
      }
    }
    int64_t started = clock_.MonotonicMs();
    RunSession();
    // A session that lasted a while was healthy: start the backoff afresh.
    if (clock_.MonotonicMs() - started > 10000) backoff = options_.backoff_initial_ms;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_requested_ && (queue_.size() == 0 || clock_.MonotonicMs() >= drain_deadline_ms_)) {
        break;
      }
    }
    // Full jitter keeps a fleet of agents from reconnecting in lockstep.
    int64_t sleep_ms = std::uniform_int_distribution<int64_t>(backoff / 2, backoff)(rng);
    if (!SleepInterruptible(sleep_ms)) {
      // Stop requested during backoff: one more attempt only if there is something to flush.
      if (queue_.size() == 0) break;
    }
    backoff = std::min(backoff * 2, options_.backoff_max_ms);
  }
  size_t left = queue_.size();
  if (left > 0) {
    registry_
        .GetCounter("strata_agent_dropped_samples_total",
                    "Samples dropped before export, by reason.", {{"reason", "shutdown"}})
        .Inc(static_cast<double>(left));
    Log(LogLevel::kWarn, kComponent, "samples not delivered before shutdown deadline",
        {{"samples", left}});
  }
}

void GrpcExporter::RunSession() {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = tls_.ca_pem;
  ssl.pem_private_key = tls_.key_pem;
  ssl.pem_cert_chain = tls_.cert_pem;
  grpc::ChannelArguments args;
  if (!options_.server_name.empty()) {
    args.SetSslTargetNameOverride(options_.server_name);
  }
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  // A fresh channel per session: after a failure gRPC would otherwise wait out its own backoff.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(options_.address, grpc::SslCredentials(ssl), args);
  int64_t connect_ms = options_.connect_timeout_ms;
  {
    // While draining for shutdown, never wait past the flush deadline.
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_requested_) {
      connect_ms = std::clamp<int64_t>(drain_deadline_ms_ - clock_.MonotonicMs(), 0, connect_ms);
    }
  }
  auto deadline = std::chrono::system_clock::now() + std::chrono::milliseconds(connect_ms);
  if (!channel->WaitForConnected(deadline)) {
    connect_failures_.Inc();
    Log(LogLevel::kWarn, kComponent, "cannot connect to collector",
        {{"addr", options_.address},
         {"state", static_cast<int>(channel->GetState(false))},
         {"hint", "collector down, or TLS refused (check certificates and CA)"}});
    return;
  }
  std::unique_ptr<v1::Ingest::Stub> stub = v1::Ingest::NewStub(channel);
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReaderWriter<v1::AgentMessage, v1::CollectorMessage>> stream =
      stub->Stream(&context);
  connected_.Set(1);
  Log(LogLevel::kInfo, kComponent, "connected to collector", {{"addr", options_.address}});

  common::wire::SeriesInterner interner;
  common::wire::EncodeScratch scratch;     // the encoder's buffers, reused batch after batch
  std::map<uint64_t, InFlight> in_flight;  // guarded by mu_
  bool broken = false;                     // guarded by mu_
  bool restart = false;                    // guarded by mu_: a rejection asked for a new stream

  std::thread reader([&] {
    pthread_setname_np(pthread_self(), "export-reader");
    v1::CollectorMessage msg;
    while (stream->Read(&msg)) {
      std::lock_guard<std::mutex> lock(mu_);
      uint64_t id = msg.has_ack() ? msg.ack().batch_id() : msg.reject().batch_id();
      auto it = in_flight.find(id);
      if (it == in_flight.end()) continue;
      if (msg.has_ack()) {
        interner.Confirm(it->second.defined_refs);
        batches_acked_.Inc();
        samples_acked_.Inc(static_cast<double>(it->second.samples.size()));
      } else {
        v1::RejectReason reason = msg.reject().reason();
        registry_
            .GetCounter("strata_agent_export_batch_rejections_total",
                        "Batches the collector rejected, by reason.",
                        {{"reason", v1::RejectReason_Name(reason)}})
            .Inc();
        Log(LogLevel::kWarn, kComponent, "collector rejected batch",
            {{"batch_id", id},
             {"reason", v1::RejectReason_Name(reason)},
             {"detail", msg.reject().message()}});
        if (Retryable(reason)) {
          queue_.Requeue(std::move(it->second.samples));
          if (reason == v1::UNKNOWN_SERIES_REF) restart = true;
        } else {
          registry_
              .GetCounter("strata_agent_dropped_samples_total",
                          "Samples dropped before export, by reason.", {{"reason", "rejected"}})
              .Inc(static_cast<double>(it->second.samples.size()));
        }
      }
      in_flight.erase(it);
      in_flight_gauge_.Set(static_cast<double>(in_flight.size()));
      cv_.notify_all();
    }
    std::lock_guard<std::mutex> lock(mu_);
    broken = true;
    cv_.notify_all();
  });

  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] {
        return broken || restart ||
               static_cast<int64_t>(in_flight.size()) < options_.max_in_flight_batches ||
               (stop_requested_ && clock_.MonotonicMs() >= drain_deadline_ms_);
      });
      if (broken || restart) break;
      if (stop_requested_) {
        bool expired = clock_.MonotonicMs() >= drain_deadline_ms_;
        if (expired || (queue_.size() == 0 && in_flight.empty())) break;
        if (queue_.size() == 0) {
          // Wait for outstanding acks (bounded by the deadline).
          cv_.wait_until(
              lock,
              std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max<int64_t>(
                                                     0, drain_deadline_ms_ - clock_.MonotonicMs())),
              [&] { return broken || in_flight.empty(); });
          continue;
        }
      }
    }
    common::SampleBatch samples =
        queue_.Pop(static_cast<size_t>(options_.max_batch_samples), options_.flush_interval_ms);
    if (samples.empty()) continue;
    v1::AgentMessage msg;
    common::wire::EncodeStats stats;
    uint64_t id = next_batch_id_++;
    {
      std::lock_guard<std::mutex> lock(mu_);  // the reader confirms refs on the interner
      common::wire::EncodeBatch(samples, id, options_.agent_id, interner,
                                {.compress = options_.compress}, msg.mutable_batch(), &stats,
                                &scratch);
      in_flight.emplace(id, InFlight{std::move(samples), std::move(stats.defined_refs)});
      in_flight_gauge_.Set(static_cast<double>(in_flight.size()));
    }
    bytes_sent_.Inc(static_cast<double>(stats.compressed_bytes));
    bytes_uncompressed_.Inc(static_cast<double>(stats.uncompressed_bytes));
    if (!stream->Write(msg)) break;
  }

  // Either the stream broke, a rejection asked for a fresh stream, or we are stopping.
  stream->WritesDone();
  context.TryCancel();
  reader.join();
  grpc::Status status = stream->Finish();
  connected_.Set(0);
  bool was_broken;
  {
    std::lock_guard<std::mutex> lock(mu_);
    was_broken = !stop_requested_ && !restart;
    // Unacknowledged batches go back to the queue in their original order.
    for (auto it = in_flight.rbegin(); it != in_flight.rend(); ++it) {
      queue_.Requeue(std::move(it->second.samples));
    }
    in_flight.clear();
    in_flight_gauge_.Set(0);
  }
  if (was_broken) {
    stream_breaks_.Inc();
    Log(LogLevel::kWarn, kComponent, "stream to collector ended",
        {{"addr", options_.address},
         {"code", static_cast<int>(status.error_code())},
         {"detail", status.error_message()}});
  }
}

}  // namespace strata::agent
