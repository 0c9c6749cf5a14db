#include "agent/inputs/host/proc_parsers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace strata::agent::host {
namespace {

using common::Labels;
using common::SampleBatch;

constexpr int64_t kTs = 1700000000123;

// The value of the one series with exactly `labels`, or nullopt when there is none (or two).
std::optional<double> Find(const SampleBatch& batch, const Labels& labels) {
  std::optional<double> found;
  for (const common::SeriesSample& s : batch) {
    if (s.labels != labels) continue;
    if (found.has_value()) return std::nullopt;
    found = s.sample.value;
  }
  return found;
}

size_t CountNamed(const SampleBatch& batch, std::string_view name) {
  size_t n = 0;
  for (const common::SeriesSample& s : batch) n += s.labels.MetricName() == name;
  return n;
}

// A 2-CPU machine on a 6.1 kernel; the intr line is shortened.
constexpr std::string_view kStat =
    "cpu  24690 120 8012 1000000 532 0 310 7 400 20\n"
    "cpu0 12345 60 4000 500000 266 0 155 3 200 10\n"
    "cpu1 12345 60 4012 500000 266 0 155 4 200 10\n"
    "intr 9876543 45 0 0 0 0 0 0 0 1 0 0 0 0\n"
    "ctxt 123456789\n"
    "btime 1699990000\n"
    "processes 424242\n"
    "procs_running 3\n"
    "procs_blocked 1\n"
    "softirq 5555 0 1 2 3 4 5 6 7 8 9\n";

TEST(ProcStatTest, ConvertsPerCpuTicksToSecondsWithUserHz) {
  SampleBatch out;
  ParseStats stats = ParseProcStat(kStat, 100, kTs, out);
  EXPECT_TRUE(stats.ok());
  // 2 CPUs × (8 modes + 2 guest modes) + 6 scalars.
  EXPECT_EQ(stats.series, 26u);
  EXPECT_EQ(out.size(), 26u);
  EXPECT_EQ(Find(out, {{"__name__", "node_cpu_seconds_total"}, {"cpu", "0"}, {"mode", "user"}}),
            123.45);
  EXPECT_EQ(Find(out, {{"__name__", "node_cpu_seconds_total"}, {"cpu", "0"}, {"mode", "nice"}}),
            0.6);
  EXPECT_EQ(Find(out, {{"__name__", "node_cpu_seconds_total"}, {"cpu", "1"}, {"mode", "system"}}),
            40.12);
  EXPECT_EQ(Find(out, {{"__name__", "node_cpu_seconds_total"}, {"cpu", "0"}, {"mode", "idle"}}),
            5000.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_cpu_seconds_total"}, {"cpu", "0"}, {"mode", "iowait"}}),
            2.66);
  EXPECT_EQ(Find(out, {{"__name__", "node_cpu_seconds_total"}, {"cpu", "0"}, {"mode", "irq"}}),
            0.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_cpu_seconds_total"}, {"cpu", "0"}, {"mode", "softirq"}}),
            1.55);
  EXPECT_EQ(Find(out, {{"__name__", "node_cpu_seconds_total"}, {"cpu", "1"}, {"mode", "steal"}}),
            0.04);
  EXPECT_EQ(
      Find(out, {{"__name__", "node_cpu_guest_seconds_total"}, {"cpu", "0"}, {"mode", "user"}}),
      2.0);
  EXPECT_EQ(
      Find(out, {{"__name__", "node_cpu_guest_seconds_total"}, {"cpu", "1"}, {"mode", "nice"}}),
      0.1);
  for (const common::SeriesSample& s : out) EXPECT_EQ(s.sample.timestamp_ms, kTs);
}

TEST(ProcStatTest, UsesTheGivenUserHz) {
  SampleBatch out;
  ParseProcStat("cpu3 250 0 0 0\n", 250, kTs, out);
  EXPECT_EQ(Find(out, {{"__name__", "node_cpu_seconds_total"}, {"cpu", "3"}, {"mode", "user"}}),
            1.0);
}

TEST(ProcStatTest, ExportsScalarsAndSkipsTheAggregateCpuLine) {
  SampleBatch out;
  ParseProcStat(kStat, 100, kTs, out);
  EXPECT_EQ(Find(out, {{"__name__", "node_intr_total"}}), 9876543.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_context_switches_total"}}), 123456789.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_boot_time_seconds"}}), 1699990000.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_forks_total"}}), 424242.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_procs_running"}}), 3.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_procs_blocked"}}), 1.0);
  // cpu0 and cpu1 only: the aggregate "cpu" line would add 8 more, without a cpu label.
  EXPECT_EQ(CountNamed(out, "node_cpu_seconds_total"), 16u);
}

TEST(ProcStatTest, OldKernelWithFourCpuColumnsExportsOnlyThoseModes) {
  SampleBatch out;
  ParseStats stats = ParseProcStat("cpu0 1 2 3 4\n", 100, kTs, out);
  EXPECT_TRUE(stats.ok());
  EXPECT_EQ(CountNamed(out, "node_cpu_seconds_total"), 4u);
  EXPECT_EQ(CountNamed(out, "node_cpu_guest_seconds_total"), 0u);
}

TEST(ProcStatTest, SkipsMalformedLinesAndKeepsTheRest) {
  SampleBatch out;
  ParseStats stats = ParseProcStat(
      "cpu0 12 x 3 4\n"     // not a number
      "cpu1 1 2\n"          // too few columns
      "cpuX 1 2 3 4\n"      // not a CPU number
      "cpu2 -1 2 3 4\n"     // negative
      "ctxt\n"              // no value
      "btime 12.5\n"        // not an integer
      "cpu3 100 0 0 0\n"    // fine
      "procs_running 7\n",  // fine
      100, kTs, out);
  EXPECT_EQ(stats.malformed_lines, 6u);
  EXPECT_EQ(stats.series, 5u);
  EXPECT_EQ(Find(out, {{"__name__", "node_cpu_seconds_total"}, {"cpu", "3"}, {"mode", "user"}}),
            1.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_procs_running"}}), 7.0);
}

TEST(ProcStatTest, TruncatedLastLineIsMalformedNotMisread) {
  SampleBatch out;
  // The read stopped inside "ctxt 123456789": exporting 1234 would be a wrong value.
  ParseStats stats = ParseProcStat("btime 1699990000\nctxt 1234", 100, kTs, out);
  EXPECT_EQ(stats.malformed_lines, 1u);
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(CountNamed(out, "node_context_switches_total"), 0u);
}

TEST(ProcStatTest, NonPositiveUserHzProducesNoCpuSeries) {
  SampleBatch out;
  ParseStats stats = ParseProcStat("cpu0 1 2 3 4\nctxt 5\n", 0, kTs, out);
  EXPECT_EQ(stats.malformed_lines, 1u);
  EXPECT_EQ(out.size(), 1u);
}

TEST(ProcStatTest, EmptyAndBinaryInputDoNotCrash) {
  SampleBatch out;
  EXPECT_TRUE(ParseProcStat("", 100, kTs, out).ok());
  EXPECT_TRUE(ParseProcStat("\n\n  \n", 100, kTs, out).ok());
  std::string junk("cpu\0\xff\xfe 1 2\n\x01\x02\x03", 14);
  ParseProcStat(junk, 100, kTs, out);
  EXPECT_TRUE(out.empty());
}

constexpr std::string_view kMeminfo =
    "MemTotal:       16318480 kB\n"
    "MemFree:         1234567 kB\n"
    "MemAvailable:    9876543 kB\n"
    "Active(anon):     345678 kB\n"
    "Inactive(file):  2345678 kB\n"
    "HugePages_Total:       0\n"
    "HugePages_Free:        4\n"
    "Hugepagesize:       2048 kB\n"
    "DirectMap4k:      433056 kB\n";

TEST(ProcMeminfoTest, ConvertsKilobytesToBytesAndKeepsUnitlessFields) {
  SampleBatch out;
  ParseStats stats = ParseMeminfo(kMeminfo, kTs, out);
  EXPECT_TRUE(stats.ok());
  EXPECT_EQ(stats.series, 9u);
  EXPECT_EQ(Find(out, {{"__name__", "node_memory_MemTotal_bytes"}}), 16318480.0 * 1024);
  EXPECT_EQ(Find(out, {{"__name__", "node_memory_MemFree_bytes"}}), 1264196608.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_memory_Hugepagesize_bytes"}}), 2097152.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_memory_HugePages_Total"}}), 0.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_memory_HugePages_Free"}}), 4.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_memory_DirectMap4k_bytes"}}), 433056.0 * 1024);
  EXPECT_EQ(out[0].sample.timestamp_ms, kTs);
  EXPECT_EQ(out[0].labels.size(), 1u);  // Only __name__: no per-series labels.
}

TEST(ProcMeminfoTest, FoldsParenthesesInFieldNames) {
  SampleBatch out;
  ParseMeminfo(kMeminfo, kTs, out);
  EXPECT_EQ(Find(out, {{"__name__", "node_memory_Active_anon_bytes"}}), 345678.0 * 1024);
  EXPECT_EQ(Find(out, {{"__name__", "node_memory_Inactive_file_bytes"}}), 2345678.0 * 1024);
}

TEST(ProcMeminfoTest, SkipsMalformedLinesAndKeepsTheRest) {
  SampleBatch out;
  ParseStats stats = ParseMeminfo(
      "MemTotal 100 kB\n"   // no colon
      "Mem Free: 100 kB\n"  // space in name
      "Bad-Name: 100 kB\n"  // dash in name
      ": 100 kB\n"          // empty name
      "Shmem: 100 MB\n"     // unknown unit
      "Cached: abc kB\n"    // not a number
      "Buffers:\n"          // no value
      "Slab: 1 kB extra\n"  // trailing junk
      "SwapTotal: 2 kB\n",  // fine
      kTs, out);
  EXPECT_EQ(stats.malformed_lines, 8u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Find(out, {{"__name__", "node_memory_SwapTotal_bytes"}}), 2048.0);
}

TEST(ProcMeminfoTest, TruncatedLastLineIsDropped) {
  SampleBatch out;
  // Cut inside "MemFree:  1234567 kB": "1234" without its unit would be a wrong value.
  ParseStats stats = ParseMeminfo("MemTotal: 8 kB\nMemFree:  1234", kTs, out);
  EXPECT_EQ(stats.malformed_lines, 1u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].labels.MetricName(), "node_memory_MemTotal_bytes");
}

TEST(ProcLoadavgTest, ExportsTheThreeLoads) {
  SampleBatch out;
  ParseStats stats = ParseLoadavg("0.52 1.25 2.00 3/812 44123\n", kTs, out);
  EXPECT_TRUE(stats.ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(Find(out, {{"__name__", "node_load1"}}), 0.52);
  EXPECT_EQ(Find(out, {{"__name__", "node_load5"}}), 1.25);
  EXPECT_EQ(Find(out, {{"__name__", "node_load15"}}), 2.0);
}

TEST(ProcLoadavgTest, RejectsShortOrNonNumericContent) {
  SampleBatch out;
  EXPECT_EQ(ParseLoadavg("0.52 1.25\n", kTs, out).malformed_lines, 1u);
  EXPECT_EQ(ParseLoadavg("0.52 nan 2.0 1/2 3\n", kTs, out).malformed_lines, 1u);
  EXPECT_EQ(ParseLoadavg("0.52 1e999 2.0 1/2 3\n", kTs, out).malformed_lines, 1u);
  EXPECT_EQ(ParseLoadavg("0.52 1.25 2.0", kTs, out).malformed_lines, 1u);
  EXPECT_TRUE(out.empty());
}

constexpr std::string_view kNetDev =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n"
    "    lo:  987654    1234    0    0    0     0          0         0   987654    1234    0 "
    "   0    0     0       0          0\n"
    "  eth0: 1000000000 2000 1 2 3 4 5 6 3000000 4000 7 8 9 10 11 12\n"
    "wlan0:5 6 0 0 0 0 0 0 7 8 0 0 0 0 0 0\n";

TEST(ProcNetDevTest, ExportsEveryCounterWithNodeExporterNames) {
  SampleBatch out;
  ParseStats stats = ParseNetDev(kNetDev, kTs, out);
  EXPECT_TRUE(stats.ok());
  EXPECT_EQ(stats.series, 48u);
  auto eth0 = [&](std::string_view name) {
    return Find(out, {{"__name__", std::string(name)}, {"device", "eth0"}});
  };
  EXPECT_EQ(eth0("node_network_receive_bytes_total"), 1e9);
  EXPECT_EQ(eth0("node_network_receive_packets_total"), 2000.0);
  EXPECT_EQ(eth0("node_network_receive_errs_total"), 1.0);
  EXPECT_EQ(eth0("node_network_receive_drop_total"), 2.0);
  EXPECT_EQ(eth0("node_network_receive_fifo_total"), 3.0);
  EXPECT_EQ(eth0("node_network_receive_frame_total"), 4.0);
  EXPECT_EQ(eth0("node_network_receive_compressed_total"), 5.0);
  EXPECT_EQ(eth0("node_network_receive_multicast_total"), 6.0);
  EXPECT_EQ(eth0("node_network_transmit_bytes_total"), 3e6);
  EXPECT_EQ(eth0("node_network_transmit_packets_total"), 4000.0);
  EXPECT_EQ(eth0("node_network_transmit_errs_total"), 7.0);
  EXPECT_EQ(eth0("node_network_transmit_drop_total"), 8.0);
  EXPECT_EQ(eth0("node_network_transmit_fifo_total"), 9.0);
  EXPECT_EQ(eth0("node_network_transmit_colls_total"), 10.0);
  EXPECT_EQ(eth0("node_network_transmit_carrier_total"), 11.0);
  EXPECT_EQ(eth0("node_network_transmit_compressed_total"), 12.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_network_receive_bytes_total"}, {"device", "lo"}}),
            987654.0);
  // No blank after the colon, as older kernels print long counters.
  EXPECT_EQ(Find(out, {{"__name__", "node_network_transmit_packets_total"}, {"device", "wlan0"}}),
            8.0);
}

TEST(ProcNetDevTest, SkipsMalformedLinesAndKeepsTheRest) {
  SampleBatch out;
  ParseStats stats = ParseNetDev(
      "eth0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"   // no colon
      "eth1: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n"     // 15 counters
      "eth2: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 x\n"   // not a number
      "   : 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"   // no device name
      "eth3: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"  // fine
      "eth4: 1 2 3 4 5 6 7 8",                          // truncated
      kTs, out);
  EXPECT_EQ(stats.malformed_lines, 5u);
  EXPECT_EQ(out.size(), 16u);
  for (const common::SeriesSample& s : out) EXPECT_EQ(s.labels.Get("device"), "eth3");
}

// Fields of a 6.1 kernel (17 columns), a 4.19 kernel (15) and a 4.4 kernel (11), plus devices
// node_exporter excludes by default.
constexpr std::string_view kDiskstats =
    "   7       0 loop0 51 0 2116 13 0 0 0 0 0 28 13 0 0 0 0 0 0\n"
    "   8       0 sda 12000 300 2048000 1500 6000 700 4096000 2500 2 3000 4000 10 1 800 20 90 45\n"
    "   8       1 sda1 11000 300 2000000 1400 5900 700 4000000 2400 0 2900 3800 0 0 0 0 0 0\n"
    " 259       0 nvme0n1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n"
    " 259       1 nvme0n1p1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n"
    " 253       0 dm-0 100 0 800 7 50 0 400 3 0 9 10\n"
    "   1       0 ram0 0 0 0 0 0 0 0 0 0 0 0\n"
    "   2       0 fd0 0 0 0 0 0 0 0 0 0 0 0\n"
    " 202       1 xvda1 0 0 0 0 0 0 0 0 0 0 0\n"
    " 252       0 zram0 0 0 0 0 0 0 0 0 0 0 0\n";

TEST(ProcDiskstatsTest, ConvertsSectorsAndMillisecondsForAllFields) {
  SampleBatch out;
  ParseStats stats = ParseDiskstats(kDiskstats, kTs, out);
  EXPECT_TRUE(stats.ok());
  // sda: 17 fields, nvme0n1: 15, dm-0: 11.
  EXPECT_EQ(stats.series, 17u + 15u + 11u);
  auto sda = [&](std::string_view name) {
    return Find(out, {{"__name__", std::string(name)}, {"device", "sda"}});
  };
  EXPECT_EQ(sda("node_disk_reads_completed_total"), 12000.0);
  EXPECT_EQ(sda("node_disk_reads_merged_total"), 300.0);
  EXPECT_EQ(sda("node_disk_read_bytes_total"), 2048000.0 * 512);
  EXPECT_EQ(sda("node_disk_read_time_seconds_total"), 1.5);
  EXPECT_EQ(sda("node_disk_writes_completed_total"), 6000.0);
  EXPECT_EQ(sda("node_disk_writes_merged_total"), 700.0);
  EXPECT_EQ(sda("node_disk_written_bytes_total"), 4096000.0 * 512);
  EXPECT_EQ(sda("node_disk_write_time_seconds_total"), 2.5);
  EXPECT_EQ(sda("node_disk_io_now"), 2.0);
  EXPECT_EQ(sda("node_disk_io_time_seconds_total"), 3.0);
  EXPECT_EQ(sda("node_disk_io_time_weighted_seconds_total"), 4.0);
  EXPECT_EQ(sda("node_disk_discards_completed_total"), 10.0);
  EXPECT_EQ(sda("node_disk_discards_merged_total"), 1.0);
  EXPECT_EQ(sda("node_disk_discarded_sectors_total"), 800.0);
  EXPECT_EQ(sda("node_disk_discard_time_seconds_total"), 0.02);
  EXPECT_EQ(sda("node_disk_flush_requests_total"), 90.0);
  EXPECT_EQ(sda("node_disk_flush_requests_time_seconds_total"), 0.045);
}

TEST(ProcDiskstatsTest, ExportsOnlyTheFieldGroupsTheKernelHas) {
  SampleBatch out;
  ParseDiskstats(kDiskstats, kTs, out);
  EXPECT_EQ(
      Find(out, {{"__name__", "node_disk_discard_time_seconds_total"}, {"device", "nvme0n1"}}),
      0.015);
  EXPECT_EQ(Find(out, {{"__name__", "node_disk_flush_requests_total"}, {"device", "nvme0n1"}}),
            std::nullopt);
  EXPECT_EQ(
      Find(out, {{"__name__", "node_disk_io_time_weighted_seconds_total"}, {"device", "dm-0"}}),
      0.01);
  EXPECT_EQ(Find(out, {{"__name__", "node_disk_discards_completed_total"}, {"device", "dm-0"}}),
            std::nullopt);
}

TEST(ProcDiskstatsTest, SkipsNodeExporterExcludedDevices) {
  SampleBatch out;
  ParseDiskstats(kDiskstats, kTs, out);
  for (const common::SeriesSample& s : out) {
    EXPECT_THAT(std::string(s.labels.Get("device")), ::testing::AnyOf("sda", "nvme0n1", "dm-0"));
  }
}

TEST(ProcDiskstatsTest, ExcludePatternMatchesNodeExporterDefault) {
  for (std::string_view excluded : {"ram0", "zram12", "loop7", "fd0", "hda1", "sda1", "sdb15",
                                    "vda2", "xvda1", "nvme0n1p1", "nvme10n2p33"}) {
    EXPECT_TRUE(IsExcludedDiskDevice(excluded)) << excluded;
  }
  for (std::string_view kept : {"sda", "vdb", "xvda", "nvme0n1", "dm-0", "md0", "sr0", "mmcblk0",
                                "mmcblk0p1", "loop", "sdaa1x", "ram", ""}) {
    EXPECT_FALSE(IsExcludedDiskDevice(kept)) << kept;
  }
}

TEST(ProcDiskstatsTest, SkipsMalformedLinesAndKeepsTheRest) {
  SampleBatch out;
  ParseStats stats = ParseDiskstats(
      "8 0 sda 1 2 3 4 5 6 7 8 9 10\n"                           // 10 fields
      "x 0 sdb 1 2 3 4 5 6 7 8 9 10 11\n"                        // bad major
      "8 32 sdc 1 2 3 4 5 6 7 8 9 10 -11\n"                      // negative
      "8 48 sdd 1 2 3 4 5 6 7 8 9 10 99999999999999999999999\n"  // overflows uint64
      "8 64 sde 1 2 3 4 5 6 7 8 9 10 11\n"                       // fine
      "8 80 sdf 1 2 3",                                          // truncated
      kTs, out);
  EXPECT_EQ(stats.malformed_lines, 5u);
  EXPECT_EQ(stats.series, 11u);
  EXPECT_EQ(
      Find(out, {{"__name__", "node_disk_io_time_weighted_seconds_total"}, {"device", "sde"}}),
      0.011);
}

// A 6.1 kernel's /proc/vmstat, shortened; the exported fields are interleaved with others.
constexpr std::string_view kVmstat =
    "nr_free_pages 1234567\n"
    "pgpgin 15480961\n"
    "pgpgout 51972528\n"
    "pswpin 3\n"
    "pswpout 4\n"
    "pgalloc_normal 98765\n"
    "pgfault 406579752\n"
    "pgmajfault 18459\n"
    "numa_hint_faults 7\n"
    "thp_fault_alloc 2045\n"
    "workingset_refault_file 3526632\n"
    "oom_kill 2\n";

TEST(ProcVmstatTest, ExportsNodeExporterDefaultFieldsOnly) {
  SampleBatch out;
  ParseStats stats = ParseVmstat(kVmstat, kTs, out);
  EXPECT_TRUE(stats.ok());
  EXPECT_EQ(stats.series, 7u);
  ASSERT_EQ(out.size(), 7u);
  EXPECT_EQ(Find(out, {{"__name__", "node_vmstat_pgpgin"}}), 15480961.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_vmstat_pgpgout"}}), 51972528.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_vmstat_pswpin"}}), 3.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_vmstat_pswpout"}}), 4.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_vmstat_pgfault"}}), 406579752.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_vmstat_pgmajfault"}}), 18459.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_vmstat_oom_kill"}}), 2.0);
  EXPECT_EQ(out[0].labels.size(), 1u);
  EXPECT_EQ(out[0].sample.timestamp_ms, kTs);
}

TEST(ProcVmstatTest, FieldRegexIsAPrefixMatchLikeNodeExporters) {
  SampleBatch out;
  // ^(oom_kill|pgpg|pswp|pg.*fault).*: any suffix after the prefix, "fault" anywhere after pg.
  ParseStats stats = ParseVmstat(
      "oom_kill_extra 1\npgpgoutclean 2\npswp_x 3\npg_demote_fault_x 4\npgsteal 5\nxpgfault 6\n"
      "oom 7\n",
      kTs, out);
  EXPECT_TRUE(stats.ok());
  EXPECT_EQ(Find(out, {{"__name__", "node_vmstat_oom_kill_extra"}}), 1.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_vmstat_pgpgoutclean"}}), 2.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_vmstat_pswp_x"}}), 3.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_vmstat_pg_demote_fault_x"}}), 4.0);
  EXPECT_EQ(out.size(), 4u);
}

TEST(ProcVmstatTest, SkipsMalformedLinesAndKeepsTheRest) {
  SampleBatch out;
  ParseStats stats = ParseVmstat(
      "pgfault\n"                           // no value
      "pgmajfault x\n"                      // not a number
      "pswpin -1\n"                         // negative
      "pswpout 1 2\n"                       // extra field
      "pg-fault 3\n"                        // not a metric name
      "nr_dirty 1.5\n"                      // not an integer, even if not exported
      "pgpgin 42\n"                         // fine
      "oom_kill 99999999999999999999999\n"  // overflows uint64
      "pgpgout 4",                          // truncated
      kTs, out);
  EXPECT_EQ(stats.malformed_lines, 8u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Find(out, {{"__name__", "node_vmstat_pgpgin"}}), 42.0);
}

TEST(ProcPressureTest, MapsSomeToWaitingAndFullToStalledInSeconds) {
  SampleBatch out;
  ParseStats stats = ParsePressure("io",
                                   "some avg10=1.46 avg60=1.36 avg300=0.64 total=44126614\n"
                                   "full avg10=0.00 avg60=0.53 avg300=0.39 total=32052925\n",
                                   kTs, out);
  EXPECT_TRUE(stats.ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(Find(out, {{"__name__", "node_pressure_io_waiting_seconds_total"}}), 44.126614);
  EXPECT_EQ(Find(out, {{"__name__", "node_pressure_io_stalled_seconds_total"}}), 32.052925);
  EXPECT_EQ(out[0].sample.timestamp_ms, kTs);

  out.clear();
  ParsePressure("memory",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                "full avg10=0.00 avg60=0.00 avg300=0.00 total=1500000\n",
                kTs, out);
  EXPECT_EQ(Find(out, {{"__name__", "node_pressure_memory_waiting_seconds_total"}}), 0.0);
  EXPECT_EQ(Find(out, {{"__name__", "node_pressure_memory_stalled_seconds_total"}}), 1.5);
}

TEST(ProcPressureTest, CpuExportsOnlyTheSomeLine) {
  SampleBatch out;
  // Linux 5.13+ adds a full line to cpu (0 system-wide); older kernels have only some.
  ParseStats stats = ParsePressure("cpu",
                                   "some avg10=15.83 avg60=12.22 avg300=5.94 total=940678279\n"
                                   "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
                                   kTs, out);
  EXPECT_TRUE(stats.ok());
  EXPECT_EQ(stats.series, 1u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Find(out, {{"__name__", "node_pressure_cpu_waiting_seconds_total"}}), 940.678279);
}

TEST(ProcPressureTest, SkipsMalformedLinesAndKeepsTheRest) {
  SampleBatch out;
  ParseStats stats = ParsePressure("io",
                                   "most avg10=0 total=5\n"                    // unknown kind
                                   "some avg10=0.00 avg60=0.00 avg300=0.00\n"  // no total
                                   "some avg10=0.00 total=-5\n"                // negative
                                   "some avg10=0.00 total=1.5\n"               // fraction
                                   "some avg10 total=5\n"                      // not key=value
                                   "some =1 total=5\n"                         // empty key
                                   "some total=1 total=2\n"                    // two totals
                                   "full avg10=0.00 avg60=0.00 avg300=0.00 total=7\n"  // fine
                                   "some avg10=0.00 avg60=0.00 avg300=0.00 total=9",   // truncated
                                   kTs, out);
  EXPECT_EQ(stats.malformed_lines, 8u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Find(out, {{"__name__", "node_pressure_io_stalled_seconds_total"}}), 7e-6);
}

// The mounts of a systemd machine with Docker, shortened.
constexpr std::string_view kMounts =
    "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n"
    "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
    "udev /dev devtmpfs rw,nosuid,relatime,size=8000000k 0 0\n"
    "tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=1630000k,mode=755 0 0\n"
    "/dev/nvme0n1p2 / ext4 rw,relatime,errors=remount-ro 0 0\n"
    "tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0\n"
    "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n"
    "/dev/nvme0n1p1 /boot/efi vfat ro,relatime,fmask=0077 0 0\n"
    "ramfs /run/credentials/systemd-sysctl.service ramfs ro,nosuid 0 0\n"
    "/dev/loop3 /snap/core/16202 squashfs ro,nodev,relatime 0 0\n"
    "overlay /var/lib/docker/overlay2/abc/merged overlay rw,relatime,lowerdir=/x 0 0\n"
    "tmpfs /run/user/1000 tmpfs rw,nosuid,nodev,relatime,size=800000k,uid=1000 0 0\n"
    "server:/export/home\\040dir /mnt/my\\040files nfs4 rw,relatime,vers=4.2 0 0\n"
    "/dev/sda1 /srv/ro\\134back ext4 rw,noatime 0 0\n"
    "/dev/nvme0n1p2 / ext4 rw,relatime,errors=remount-ro 0 0\n";

TEST(ProcMountsTest, KeepsNodeExporterDefaultMountsUnescapedAndOnce) {
  std::vector<MountEntry> mounts;
  ParseStats stats = ParseMounts(kMounts, mounts);
  EXPECT_TRUE(stats.ok());
  EXPECT_EQ(stats.series, 6u);
  ASSERT_EQ(mounts.size(), 6u);
  auto at = [&](size_t i) {
    return std::vector<std::string>{mounts[i].device, mounts[i].mount_point, mounts[i].fs_type,
                                    mounts[i].read_only ? "ro" : "rw"};
  };
  EXPECT_EQ(at(0), (std::vector<std::string>{"tmpfs", "/run", "tmpfs", "rw"}));
  EXPECT_EQ(at(1), (std::vector<std::string>{"/dev/nvme0n1p2", "/", "ext4", "rw"}));
  EXPECT_EQ(at(2), (std::vector<std::string>{"/dev/nvme0n1p1", "/boot/efi", "vfat", "ro"}));
  EXPECT_EQ(at(3), (std::vector<std::string>{"tmpfs", "/run/user/1000", "tmpfs", "rw"}));
  EXPECT_EQ(at(4),
            (std::vector<std::string>{"server:/export/home dir", "/mnt/my files", "nfs4", "rw"}));
  EXPECT_EQ(at(5), (std::vector<std::string>{"/dev/sda1", "/srv/ro\\back", "ext4", "rw"}));
}

TEST(ProcMountsTest, ReadOnlyIsTheRoOptionNotASubstring) {
  std::vector<MountEntry> mounts;
  ParseMounts(
      "a /a ext4 rw,errors=remount-ro 0 0\nb /b ext4 nosuid,ro 0 0\n"
      "c /c ext4 rootcontext=x 0 0\n",
      mounts);
  ASSERT_EQ(mounts.size(), 3u);
  EXPECT_FALSE(mounts[0].read_only);
  EXPECT_TRUE(mounts[1].read_only);
  EXPECT_FALSE(mounts[2].read_only);
}

TEST(ProcMountsTest, SkipsMalformedLinesAndKeepsTheRest) {
  std::vector<MountEntry> mounts;
  ParseStats stats = ParseMounts(
      "/dev/sda1 /a ext4\n"                   // no options
      "/dev/sda1 /b\\04 ext4 rw 0 0\n"        // escape cut short
      "/dev/sda1 /c\\0x1 ext4 rw 0 0\n"       // not octal
      "/dev/sda1 /d\\000 ext4 rw 0 0\n"       // NUL
      "/dev/sda1 /e\\377 ext4 rw 0 0\n"       // not UTF-8 once unescaped
      "/dev/sda1 /f\\ ext4 rw 0 0\n"          // lone backslash
      "/dev/sda1 /g\\303\\251 ext4 rw 0 0\n"  // fine: UTF-8 "é" escaped byte by byte
      "/dev/sda2 /h ext4 rw 0",               // truncated
      mounts);
  EXPECT_EQ(stats.malformed_lines, 7u);
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].mount_point, "/g\xc3\xa9");
}

TEST(ProcMountsTest, ExclusionsMatchNodeExporterDefaults) {
  for (std::string_view excluded :
       {"/dev", "/dev/shm", "/proc", "/proc/sys/fs/binfmt_misc", "/sys", "/sys/fs/cgroup",
        "/run/credentials/a.service", "/var/lib/docker/overlay2/x/merged",
        "/var/lib/containers/storage/overlay/y"}) {
    EXPECT_TRUE(IsExcludedMountPoint(excluded)) << excluded;
  }
  for (std::string_view kept : {"/", "/devices", "/run", "/run/credentials", "/run/user/1000",
                                "/var/lib/docker", "/home/dev", "/system", "/mnt", "/media/usb"}) {
    EXPECT_FALSE(IsExcludedMountPoint(kept)) << kept;
  }
  for (std::string_view excluded :
       {"autofs",     "binfmt_misc", "bpf",       "cgroup",   "cgroup2",   "configfs",
        "debugfs",    "devpts",      "devtmpfs",  "fusectl",  "hugetlbfs", "iso9660",
        "mqueue",     "nsfs",        "overlay",   "proc",     "procfs",    "pstore",
        "rpc_pipefs", "securityfs",  "selinuxfs", "squashfs", "sysfs",     "tracefs"}) {
    EXPECT_TRUE(IsExcludedFsType(excluded)) << excluded;
  }
  for (std::string_view kept :
       {"ext4", "xfs", "btrfs", "tmpfs", "vfat", "nfs4", "fuse.sshfs", "cgroup3", "sysfs2", ""}) {
    EXPECT_FALSE(IsExcludedFsType(kept)) << kept;
  }
}

}  // namespace
}  // namespace strata::agent::host
