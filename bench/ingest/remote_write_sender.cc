#include "bench/ingest/remote_write_sender.h"

#include <httplib.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace strata::bench {

SendResult SendRemoteWrite(const Dataset& d, const HostPort& hp) {
  SendResult r;
  std::mutex mu;
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (const Shard& shard : d.shards) {
    threads.emplace_back([&, &shard = shard] {
      httplib::Client c(hp.host, hp.port);
      c.set_keep_alive(true);
      c.set_read_timeout(120);
      c.set_write_timeout(120);
      httplib::Headers headers = {{"Content-Encoding", "snappy"},
                                  {"X-Prometheus-Remote-Write-Version", "0.1.0"}};
      uint64_t ok = 0, failed = 0;
      std::string why;
      for (size_t i = 0; i < shard.remote_write.size(); ++i) {
        const std::string& body = shard.remote_write[i];
        auto res =
            c.Post("/api/v1/write", headers, body.data(), body.size(), "application/x-protobuf");
        if (res && res->status >= 200 && res->status < 300) {
          ok += shard.remote_write_samples[i];
        } else {
          if (failed++ == 0) {
            why = res ? "HTTP " + std::to_string(res->status) + ": " + res->body
                      : "transport error " + httplib::to_string(res.error());
          }
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      r.accepted_samples += ok;
      r.failures += failed;
      if (r.first_failure.empty()) r.first_failure = why;
    });
  }
  for (std::thread& t : threads) t.join();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace strata::bench
