#include "common/net/grpc_log_bridge.h"

#include <grpc/support/log.h>

#include <mutex>

#include "common/base/log.h"

namespace strata::common {
namespace {

std::mutex g_mu;
HandshakeFailureFn* g_on_failure = nullptr;  // guarded by g_mu; leaked on purpose (process-wide)

void Bridge(gpr_log_func_args* args) {
  std::string msg = args->message != nullptr ? args->message : "";
  std::string detail;
  if (IsHandshakeFailure(msg, &detail)) {
    std::lock_guard<std::mutex> lock(g_mu);
    if (g_on_failure != nullptr) (*g_on_failure)(detail);
    return;
  }
  // gRPC INFO lines are chatty and not actionable for operators; keep warnings and errors.
  LogLevel level = LogLevel::kDebug;
  if (args->severity == GPR_LOG_SEVERITY_ERROR) level = LogLevel::kWarn;
  Log(level, "grpc", msg,
      {{"src",
        std::string(args->file != nullptr ? args->file : "") + ":" + std::to_string(args->line)}});
}

}  // namespace

bool IsHandshakeFailure(const std::string& message, std::string* detail) {
  static constexpr std::string_view kTsi = "Handshake failed with fatal error ";
  size_t pos = message.find(kTsi);
  if (pos == std::string::npos) return false;
  *detail = message.substr(pos + kTsi.size());
  if (!detail->empty() && detail->back() == '.') detail->pop_back();
  return true;
}

void InstallGrpcLogBridge(HandshakeFailureFn on_handshake_failure) {
  {
    std::lock_guard<std::mutex> lock(g_mu);
    delete g_on_failure;
    g_on_failure = new HandshakeFailureFn(std::move(on_handshake_failure));
  }
  gpr_set_log_verbosity(GPR_LOG_SEVERITY_INFO);
  gpr_set_log_function(Bridge);
}

}  // namespace strata::common
