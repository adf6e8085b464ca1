package dev.oomwatch.bench.jmh;

import dev.oomwatch.collector.kernel.CgroupMemoryParser;
import dev.oomwatch.collector.kernel.CgroupRef;
import dev.oomwatch.collector.kernel.KeyValueText;
import dev.oomwatch.collector.kernel.KmsgRecord;
import dev.oomwatch.collector.kernel.OomKillAssembler;
import dev.oomwatch.collector.redis.ClientList;
import dev.oomwatch.collector.redis.RedisInfo;
import dev.oomwatch.detect.DetectionConfig;
import dev.oomwatch.detect.Detector;
import dev.oomwatch.detect.Detectors;
import dev.oomwatch.detect.Finding;
import dev.oomwatch.detect.InstanceState;
import dev.oomwatch.detect.InstanceTracker;
import dev.oomwatch.join.InstanceSnapshot;
import dev.oomwatch.join.KernelView;
import dev.oomwatch.join.SnapshotBuilder;
import dev.oomwatch.schema.HostSample;
import dev.oomwatch.schema.KernelEvent;
import dev.oomwatch.schema.RedisSample;
import dev.oomwatch.wire.AvroSerde;
import dev.oomwatch.wire.Serdes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The hot paths, each on real input captured on the development machine (Redis 7.0 INFO during a
 * BGSAVE, CLIENT LIST, /proc/meminfo, a redis-server's status, a cgroup's memory.stat, a kernel
 * OOM-kill record): what the collector does every second per instance and what the streams-app
 * does per record. Run: {@code bench/run-jmh.sh} (or java -cp ... org.openjdk.jmh.Main).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HotPaths {
  private String info;
  private String clientList;
  private String meminfo;
  private String status;
  private String memoryStat;
  private List<KmsgRecord> kill;
  private RedisSample sample;
  private byte[] sampleBytes;
  private HostSample host;
  private InstanceState state;
  private final DetectionConfig config = DetectionConfig.defaults();
  private final List<Detector> detectors = Detectors.all();
  private final AvroSerde<RedisSample> serde = Serdes.redisSample();
  private long ts;

  @Setup
  public void load() throws IOException {
    info = text("info.txt");
    clientList = text("client-list.txt");
    meminfo = text("meminfo");
    status = text("status.txt");
    memoryStat = text("memory.stat");
    kill = new ArrayList<>();
    for (final String line : text("kmsg-kill.txt").split("\n")) {
      if (!line.isBlank()) {
        kill.add(KmsgRecord.parse(line));
      }
    }
    sample = RedisSample.newBuilder().setHost("h").setInstance("h:6379").setTimestampMs(1L).setReachable(true)
        .setRunId("a".repeat(40)).setProcessId(42L).setUptimeInSeconds(100L).setUsedMemory(400L << 20)
        .setUsedMemoryRss(430L << 20).setMaxmemory(0L).setTotalSystemMemory(16L << 30).setRdbBgsaveInProgress(false)
        .setAofRewriteInProgress(false).setRdbLastCowSize(100L << 20).setErrorstats(Map.of("OOM", 0L)).build();
    sampleBytes = serde.encode(sample);
    host = HostSample.newBuilder().setHost("h").setTimestampMs(1L).setMemTotal(16L << 30).setProcesses(List.of()).build();
    state = new InstanceState();
  }

  @Benchmark
  public RedisInfo parseInfo() {
    return RedisInfo.parse(info);
  }

  @Benchmark
  public ClientList parseClientList() {
    return ClientList.parse(clientList, 10);
  }

  @Benchmark
  public void parseProcAndCgroup(final Blackhole bh) {
    bh.consume(KeyValueText.numbers(meminfo));
    bh.consume(KeyValueText.numbers(status));
    bh.consume(CgroupMemoryParser.parse(new CgroupRef(1, "/redis"), file -> file.equals("memory.stat") ? memoryStat
        : file.equals("memory.limit_in_bytes") ? "629145600\n" : "314572800\n"));
  }

  @Benchmark
  public Optional<KernelEvent> assembleKernelOomKill() {
    final OomKillAssembler assembler = new OomKillAssembler("h");
    Optional<KernelEvent> last = Optional.empty();
    for (final KmsgRecord r : kill) {
      for (final OomKillAssembler.Assembled a : assembler.accept(r, 1L)) {
        last = Optional.of(a.event());
      }
    }
    // the victim's event waits for a group kill's lines until the log is quiet
    final Optional<KernelEvent> held = assembler.flush().map(OomKillAssembler.Assembled::event);
    return held.isPresent() ? held : last;
  }

  /** What the streams-app does for each Redis sample: join, update the instance, run every detector. */
  @Benchmark
  public void detectorStep(final Blackhole bh) {
    ts += 1000;
    final RedisSample s = RedisSample.newBuilder(sample).setTimestampMs(ts).build();
    final InstanceSnapshot snapshot = SnapshotBuilder.build(s, KernelView.of(HostSample.newBuilder(host).setTimestampMs(ts).build()));
    InstanceTracker.observe(state, snapshot, config);
    for (final Detector d : detectors) {
      final Optional<Finding> f = d.evaluate(state, snapshot, config);
      bh.consume(f);
    }
  }

  @Benchmark
  public RedisSample serdeRoundTrip() {
    return serde.decode("t", serde.encode(sample));
  }

  @Benchmark
  public RedisSample serdeDecode() {
    return serde.decode("t", sampleBytes);
  }

  private static String text(final String name) throws IOException {
    try (InputStream in = HotPaths.class.getResourceAsStream("/bench/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
