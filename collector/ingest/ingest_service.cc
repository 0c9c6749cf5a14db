#include "collector/ingest/ingest_service.h"

#include <grpcpp/grpcpp.h>

#include "common/base/log.h"

namespace strata::collector {
namespace {

std::string PeerIdentity(const grpc::ServerContext& context) {
  auto auth = context.auth_context();
  if (auth) {
    auto cn = auth->FindPropertyValues("x509_common_name");
    if (!cn.empty()) return std::string(cn.front().data(), cn.front().size());
  }
  return "unknown";
}

}  // namespace

IngestService::IngestService(IngestOptions options, Appender& appender, common::Registry& registry)
    : options_(options),
      appender_(appender),
      registry_(registry),
      batches_accepted_(registry.GetCounter("strata_collector_ingest_batches_total",
                                            "Agent batches handled, by result.",
                                            {{"result", "accepted"}})),
      samples_accepted_(registry.GetCounter("strata_collector_ingest_samples_total",
                                            "Samples stored from agent batches.")),
      samples_duplicate_(registry.GetCounter("strata_collector_ingest_samples_rejected_total",
                                             "Samples of accepted batches not stored, by reason.",
                                             {{"reason", "duplicate"}})),
      samples_out_of_bounds_(registry.GetCounter(
          "strata_collector_ingest_samples_rejected_total",
          "Samples of accepted batches not stored, by reason.", {{"reason", "out_of_bounds"}})),
      samples_series_limited_(registry.GetCounter(
          "strata_collector_ingest_samples_rejected_total",
          "Samples of accepted batches not stored, by reason.", {{"reason", "series_limit"}})),
      bytes_received_(registry.GetCounter("strata_collector_ingest_received_bytes_total",
                                          "Compressed payload bytes received from agents.")),
      streams_total_(
          registry.GetCounter("strata_collector_ingest_streams_total", "Agent streams opened.")) {
  registry.SetGaugeFunc("strata_collector_ingest_streams_active", "Agent streams open now.", {},
                        [this] { return static_cast<double>(active_streams_.load()); });
}

void IngestService::CountReject(v1::RejectReason reason) {
  registry_
      .GetCounter("strata_collector_ingest_batches_total", "Agent batches handled, by result.",
                  {{"result", "rejected"}})
      .Inc();
  registry_
      .GetCounter("strata_collector_ingest_batch_rejections_total",
                  "Agent batches rejected, by reason.", {{"reason", v1::RejectReason_Name(reason)}})
      .Inc();
}

v1::CollectorMessage IngestService::HandleBatch(const v1::Batch& batch,
                                                common::wire::SeriesRefTable& table) {
  v1::CollectorMessage reply;
  bytes_received_.Inc(static_cast<double>(batch.payload().size()));
  common::wire::DecodedBatch decoded;
  common::wire::DecodeError error;
  if (!table.Decode(batch, &decoded, &error)) {
    CountReject(error.reason);
    Log(common::LogLevel::kWarn, "ingest", "batch rejected",
        {{"agent", batch.agent_id()},
         {"batch_id", batch.batch_id()},
         {"reason", v1::RejectReason_Name(error.reason)},
         {"detail", error.message}});
    v1::Reject* r = reply.mutable_reject();
    r->set_batch_id(batch.batch_id());
    r->set_reason(error.reason);
    r->set_message(error.message);
    return reply;
  }
  std::vector<SeriesAppend> appends;
  appends.reserve(decoded.series.size());
  for (const common::wire::DecodedSeries& s : decoded.series) {
    appends.push_back(SeriesAppend{nullptr, s.labels, s.samples});
  }
  absl::StatusOr<AppendResult> appended = appender_.AppendBatch(appends);
  if (!appended.ok()) {
    // Storage refuses writes (e.g. the WAL cannot be written): nothing is acknowledged and the
    // agent retries the batch later.
    CountReject(v1::UNAVAILABLE);
    Log(common::LogLevel::kWarn, "ingest", "storage refused batch",
        {{"agent", batch.agent_id()}, {"detail", std::string(appended.status().message())}});
    v1::Reject* r = reply.mutable_reject();
    r->set_batch_id(batch.batch_id());
    r->set_reason(v1::UNAVAILABLE);
    r->set_message(std::string(appended.status().message()));
    return reply;
  }
  const AppendResult& total = *appended;
  table.Commit(decoded);
  batches_accepted_.Inc();
  samples_accepted_.Inc(static_cast<double>(total.accepted));
  samples_duplicate_.Inc(static_cast<double>(total.duplicates));
  samples_out_of_bounds_.Inc(static_cast<double>(total.out_of_bounds));
  samples_series_limited_.Inc(static_cast<double>(total.series_limited));
  v1::Ack* ack = reply.mutable_ack();
  ack->set_batch_id(batch.batch_id());
  ack->set_samples_accepted(static_cast<uint32_t>(total.accepted));
  return reply;
}

grpc::Status IngestService::Stream(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::CollectorMessage, v1::AgentMessage>* stream) {
  const std::string peer = PeerIdentity(*context);
  streams_total_.Inc();
  active_streams_.fetch_add(1);
  Log(common::LogLevel::kInfo, "ingest", "agent stream opened",
      {{"peer", context->peer()}, {"identity", peer}});
  common::wire::SeriesRefTable table(options_.limits);
  v1::AgentMessage msg;
  uint64_t batches = 0;
  while (stream->Read(&msg)) {
    if (!msg.has_batch()) continue;  // unknown message kinds from newer agents are ignored
    v1::CollectorMessage reply = HandleBatch(msg.batch(), table);
    ++batches;
    if (!stream->Write(reply)) break;
  }
  active_streams_.fetch_sub(1);
  Log(common::LogLevel::kInfo, "ingest", "agent stream closed",
      {{"peer", context->peer()}, {"identity", peer}, {"batches", batches}});
  return grpc::Status::OK;
}

}  // namespace strata::collector
