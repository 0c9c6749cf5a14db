#include "bench/common/servers.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

namespace strata::bench {

HostPort ParseHostPort(const std::string& s) {
  size_t colon = s.rfind(':');
  return {s.substr(0, colon), std::stoi(s.substr(colon + 1))};
}

int HttpGetStatus(const HostPort& hp, const std::string& path, std::string* body, int timeout_s) {
  httplib::Client c(hp.host, hp.port);
  c.set_connection_timeout(2);
  c.set_read_timeout(timeout_s);
  auto res = c.Get(path.c_str());
  if (!res) return 0;
  if (body) *body = res->body;
  return res->status;
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  char buf[4];
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

double MetricSum(const HostPort& hp, const std::string& prefix) {
  std::string body;
  if (HttpGetStatus(hp, "/metrics", &body) != 200) Fail("cannot read /metrics");
  double sum = 0;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0)
      sum += std::strtod(line.substr(line.rfind(' ')).c_str(), nullptr);
  }
  return sum;
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Fail("no free port");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

Server StartStrata(const StrataServerOptions& options, const std::string& dir) {
  Server s;
  s.name = "strata";
  s.data_dir = dir + "/data";
  const std::string cfg = dir + "/collector.yaml";
  const std::string& certs = options.certs_dir;
  std::ofstream(cfg) << "log_level: info\n"
                     << "http_listen: 127.0.0.1:0\n"
                     << "grpc_listen: 127.0.0.1:0\n"
                     << "data_dir: " << s.data_dir << "\n"
                     << "tls:\n"
                     << "  ca_file: " << certs << "/ca.pem\n"
                     << "  cert_file: " << certs << "/collector.pem\n"
                     << "  key_file: " << certs << "/collector-key.pem\n"
                     << "storage:\n"
                     << "  fsync: " << options.fsync << "\n"
                     << "  retention: " << options.retention_hours << "h\n"
                     << "  max_series: " << options.max_series << "\n"
                     << "ingest:\n"
                     << "  max_series_per_stream: " << options.max_series << "\n"
                     << "query:\n"
                     << "  max_series: " << options.max_series << "\n";
  s.process = std::make_unique<Process>(
      std::vector<std::string>{options.collector, "--config", cfg}, dir + "/collector.log");
  auto addr = [&](const std::string& listener) {
    std::regex rx("msg=listening component_listener=" + listener + " addr=(\\S+)");
    return WaitFor(
        [&]() -> std::string {
          std::smatch m;
          std::string log = s.process->Log();
          if (std::regex_search(log, m, rx)) return m[1];
          if (s.process->Exited()) Fail("strata-collector exited:\n" + log);
          return "";
        },
        30, "strata-collector to listen (" + listener + ")");
  };
  s.http = ParseHostPort(addr("http"));
  s.grpc = addr("grpc");
  WaitFor([&] { return HttpGetStatus(s.http, "/-/ready", nullptr, 2) == 200; }, 30, "strata ready");
  return s;
}

Server StartVm(const std::string& vm_binary, const std::string& dir,
               const std::vector<std::string>& extra_args) {
  Server s;
  s.name = "vm";
  s.data_dir = dir + "/vmdata";
  for (int attempt = 0; attempt < 5; ++attempt) {
    int port = FreePort();
    s.http = {"127.0.0.1", port};
    std::vector<std::string> args = {vm_binary, "-storageDataPath=" + s.data_dir,
                                     "-httpListenAddr=127.0.0.1:" + std::to_string(port),
                                     "-retentionPeriod=100y"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    s.process = std::make_unique<Process>(args, dir + "/vm.log");
    bool up = false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline && !s.process->Exited()) {
      if (HttpGetStatus(s.http, "/health", nullptr, 2) == 200) {
        up = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (up) return s;
    s.process->Stop();  // most likely lost the port race; try another port
  }
  Fail("victoria-metrics did not start; log:\n" + ReadFile(dir + "/vm.log"));
}

}  // namespace strata::bench
