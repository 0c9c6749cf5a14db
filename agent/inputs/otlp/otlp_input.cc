#include "agent/inputs/otlp/otlp_input.h"

#include <cctype>
#include <utility>

#include "common/base/log.h"
#include "common/net/tls_files.h"

namespace strata::agent::otlp {
namespace {
constexpr std::string_view kComponent = "otlp";
}  // namespace

OtlpInput::OtlpInput(OtlpOptions options, const common::Clock& clock, common::Registry& registry)
    : options_(std::move(options)), clock_(clock), registry_(registry) {}

OtlpInput::~OtlpInput() { Stop(); }

absl::Status OtlpInput::Start(SampleSink& sink) {
  if (!options_.enabled) return absl::OkStatus();
  if (translator_ != nullptr) return absl::FailedPreconditionError("otlp already started");
  std::string token;
  if (!options_.bearer_token_file.empty()) {
    absl::StatusOr<std::string> t = common::ReadSmallFile(options_.bearer_token_file);
    if (!t.ok()) {
      return absl::InvalidArgumentError("otlp bearer_token_file: " +
                                        std::string(t.status().message()));
    }
    token = *t;
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back())))
      token.pop_back();
    if (token.empty()) return absl::InvalidArgumentError("otlp bearer_token_file is empty");
  }
  translator_ = std::make_unique<OtlpTranslator>(options_, registry_);
  handler_ = std::make_unique<ExportHandler>(*translator_, sink, clock_);
  auto fail = [this](absl::Status s) {
    Stop();
    return s;
  };
  if (!options_.grpc_listen.empty()) {
    grpc_ = std::make_unique<GrpcReceiver>(options_, token, *handler_, registry_);
    absl::StatusOr<std::string> addr = grpc_->Start();
    if (!addr.ok()) return fail(addr.status());
    grpc_address_ = *addr;
    common::Log(common::LogLevel::kInfo, kComponent, "listening",
                {{"component_listener", "otlp_grpc"}, {"addr", grpc_address_}});
  }
  if (!options_.http_listen.empty()) {
    http_ = std::make_unique<HttpReceiver>(options_, token, *handler_, registry_);
    absl::StatusOr<std::string> addr = http_->Start();
    if (!addr.ok()) return fail(addr.status());
    http_address_ = *addr;
    common::Log(common::LogLevel::kInfo, kComponent, "listening",
                {{"component_listener", "otlp_http"}, {"addr", http_address_}});
  }
  return absl::OkStatus();
}

void OtlpInput::Stop() {
  if (grpc_ != nullptr) grpc_->Stop();
  if (http_ != nullptr) http_->Stop();
  grpc_.reset();
  http_.reset();
  handler_.reset();
  translator_.reset();
}

}  // namespace strata::agent::otlp
