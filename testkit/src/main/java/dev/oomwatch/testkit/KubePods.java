package dev.oomwatch.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A Kubernetes node's Redis pods as the host sees them, made of real kernel parts: each pod is a
 * redis-server that is pid 1 in its own PID namespace ({@code unshare --pid --fork --mount-proc}),
 * in its own network namespace (a veth pair; the host side and the pod get addresses in a /30 of
 * their own), listening on {@code 0.0.0.0:6379} with the same title as every other, in a memory
 * cgroup laid out as the kubelet's cgroupfs driver lays it out
 * ({@code /kubepods/burstable/pod<uid>/<container-id>}, the pod level limited too). A pod may get
 * a containerd bundle {@code config.json} with the CRI annotations under {@link #runtimeRoot()}.
 * Everything made is removed by {@link #close()}: processes, cgroups, namespaces, veths.
 * Traffic goes only to addresses inside the namespaces made here.
 */
public final class KubePods implements AutoCloseable {
  private static final Path MEMORY = MemoryCgroup.V1_ROOT;
  public static final long POD_OVERHEAD = 64L * 1024 * 1024;

  /** One pod: its names, its address, its cgroup and the host pid of its redis-server. */
  public final class Pod {
    public final String name;
    public final String namespace;
    public final String uid;
    public final String containerId;
    public final String address;
    public final long limit;
    final String netns;
    final String hostVeth;
    final Path podCgroup;
    final Path containerCgroup;
    final Path dir;
    Process process;

    Pod(final String name, final String namespace, final int index, final long limit, final Path dir) {
      this.name = name;
      this.namespace = namespace;
      this.uid = UUID.randomUUID().toString();
      this.containerId = randomId();
      this.limit = limit;
      this.dir = dir;
      final int base = 4 * index;
      this.address = subnet + "." + (base + 2);
      this.netns = "oomwatch-" + tag + "-" + index;
      this.hostVeth = "owk" + tag + "x" + index;
      this.podCgroup = MEMORY.resolve("kubepods/burstable/pod" + uid);
      this.containerCgroup = podCgroup.resolve(containerId);
    }

    /** The cgroup path as /proc/PID/cgroup and the kernel log name it. */
    public String cgroupPath() {
      return "/kubepods/burstable/pod" + uid + "/" + containerId;
    }

    public String podCgroupPath() {
      return "/kubepods/burstable/pod" + uid;
    }

    public String uri() {
      return "redis://" + address + ":6379";
    }

    /** The redis-server's pid on the host (1 inside its own namespace); -1 once it is gone. */
    public long hostPid() {
      final Process p = process;
      if (p == null) {
        return -1;
      }
      return p.toHandle().children().mapToLong(ProcessHandle::pid).findFirst().orElse(-1);
    }

    public boolean alive() {
      return process != null && process.isAlive();
    }

    public long anon() {
      return MemoryCgroup.statValue(containerCgroup.resolve("memory.stat"), "rss");
    }

    public long oomKills() {
      return MemoryCgroup.statValue(containerCgroup.resolve("memory.oom_control"), "oom_kill");
    }

    /** Stops its redis-server (SIGKILL), as a deleted pod's would be. */
    public void stop() {
      final long pid = hostPid();
      if (pid > 0) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
      if (process != null) {
        process.destroyForcibly();
        try {
          process.waitFor();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  private final String tag;
  private final String subnet;
  private final Path dir;
  private final Path runtimeRoot;
  private final List<Pod> pods = new ArrayList<>();
  private final List<Path> madeParents = new ArrayList<>();

  private KubePods(final Path dir) {
    this.dir = dir;
    this.tag = String.valueOf(ProcessHandle.current().pid() % 10_000);
    // a /24 of the 10.0.0.0/8 range picked per run: only ever assigned inside namespaces made here
    this.subnet = "10." + (200 + ThreadLocalRandom.current().nextInt(50)) + "." + ThreadLocalRandom.current().nextInt(250);
    this.runtimeRoot = dir.resolve("containerd");
  }

  /** Empty when pods can be made here (root, cgroup v1 memory, ip and unshare); else why not. */
  public static Optional<String> unavailableReason() {
    final Optional<String> cgroups = MemoryCgroup.unavailableReason();
    if (cgroups.isPresent()) {
      return cgroups;
    }
    for (final String tool : List.of("ip", "unshare")) {
      if (run(List.of("sh", "-c", "command -v " + tool)) != 0) {
        return Optional.of("no " + tool + " command (iproute2, util-linux)");
      }
    }
    return Optional.empty();
  }

  public static KubePods create(final Path dir) {
    return new KubePods(dir);
  }

  /** Where bundles are written: the collector's kernel.runtime.bundles is this, {id}/config.json. */
  public String bundlePattern() {
    return runtimeRoot + "/{id}/config.json";
  }

  public Path runtimeRoot() {
    return runtimeRoot;
  }

  /**
   * What a pod's {@code /etc/hostname} is: the kubelet's (the pod's name), the node's (a container
   * without a mount of its own), or what a hostile container makes of it.
   */
  public enum Hostname {
    POD_NAME, NODE, SYMLINK_TO_READERS_ENVIRON, FIFO, DEV_ZERO
  }

  /**
   * Starts a pod whose redis-server gets {@code redisArgs}; {@code withBundle} writes a containerd
   * config.json naming it (else only its HOSTNAME names it).
   */
  public Pod start(final String name, final String namespace, final long limit, final boolean withBundle,
      final String... redisArgs) {
    return startWith(name, namespace, limit, withBundle, Hostname.POD_NAME, redisCommand(dir.resolve(name), redisArgs));
  }

  /** The redis-server command a pod runs, its files in the pod's folder. */
  public static List<String> redisCommand(final Path podDir, final String... redisArgs) {
    final List<String> command = new ArrayList<>(List.of(LocalRedis.binary(),
        "--port", "6379", "--bind", "0.0.0.0", "--protected-mode", "no", "--dir", podDir.toString(),
        "--daemonize", "no", "--logfile", podDir.resolve("redis.log").toString()));
    command.addAll(List.of(redisArgs));
    return command;
  }

  /**
   * Starts a pod running {@code command} (which must listen on 6379 at the pod's address) with its
   * {@code /etc/hostname} made as {@code hostname} says. A hostile hostname is made by mounting a
   * folder of the pod's own over {@code /etc} inside the pod's mount namespace, holding the thing
   * and the loader's cache.
   */
  public Pod startWith(final String name, final String namespace, final long limit, final boolean withBundle,
      final Hostname hostname, final List<String> command) {
    final Pod pod = new Pod(name, namespace, pods.size(), limit, dir.resolve(name));
    pods.add(pod);
    try {
      Files.createDirectories(pod.dir);
      makeCgroups(pod);
      makeNetwork(pod);
      if (withBundle) {
        writeBundle(pod);
      }
      final List<String> full = new ArrayList<>(List.of("sh", "-c",
          "echo $$ > '" + pod.containerCgroup.resolve("cgroup.procs") + "' && exec \"$0\" \"$@\"",
          "ip", "netns", "exec", pod.netns, "env", "HOSTNAME=" + name,
          "unshare", "--pid", "--fork", "--mount-proc", "sh", "-c"));
      switch (hostname) {
        // the kubelet mounts the pod's name over the container's /etc/hostname
        case POD_NAME -> full.addAll(List.of("mount --bind \"$0\" /etc/hostname && exec \"$@\"",
            hostnameFile(pod).toString()));
        case NODE -> full.addAll(List.of("exec \"$@\"", "-"));
        default -> full.addAll(List.of("mount --bind \"$0\" /etc && exec \"$@\"", hostileEtc(pod, hostname).toString()));
      }
      full.addAll(command);
      pod.process = new ProcessBuilder(full).redirectErrorStream(true)
          .redirectOutput(pod.dir.resolve("stdout.log").toFile()).start();
      awaitListening(pod);
      return pod;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start pod " + name, e);
    }
  }

  /** An /etc whose hostname is a symlink to the reader's own environment, a FIFO or /dev/zero. */
  private static Path hostileEtc(final Pod pod, final Hostname kind) throws IOException {
    final Path etc = Files.createDirectories(pod.dir.resolve("etc"));
    final Path cache = Path.of("/etc/ld.so.cache");
    if (Files.exists(cache)) {
      Files.copy(cache, etc.resolve("ld.so.cache"));
    }
    final Path file = etc.resolve("hostname");
    switch (kind) {
      case SYMLINK_TO_READERS_ENVIRON -> Files.createSymbolicLink(file, Path.of("/proc/self/environ"));
      case FIFO -> must("mkfifo", file.toString());
      case DEV_ZERO -> must("mknod", file.toString(), "c", "1", "5");
      default -> throw new IllegalArgumentException(kind.toString());
    }
    return etc;
  }

  public List<Pod> pods() {
    return List.copyOf(pods);
  }

  private static Path hostnameFile(final Pod pod) throws IOException {
    final Path file = pod.dir.resolve("hostname");
    Files.writeString(file, pod.name + "\n");
    return file;
  }

  private void makeCgroups(final Pod pod) throws IOException {
    for (final Path parent : List.of(MEMORY.resolve("kubepods"), MEMORY.resolve("kubepods/burstable"))) {
      if (!Files.isDirectory(parent)) {
        Files.createDirectory(parent);
        madeParents.add(0, parent);
      }
    }
    Files.createDirectory(pod.podCgroup);
    // the kubelet limits the pod to the sum of its containers' limits plus the pod's overhead
    // (RuntimeClass); 64 MB of overhead here, so the container's own limit is the one hit
    Files.writeString(pod.podCgroup.resolve("memory.limit_in_bytes"), String.valueOf(pod.limit + POD_OVERHEAD));
    Files.createDirectory(pod.containerCgroup);
    Files.writeString(pod.containerCgroup.resolve("memory.limit_in_bytes"), String.valueOf(pod.limit));
  }

  private void makeNetwork(final Pod pod) {
    final String podVeth = pod.hostVeth + "p";
    final int base = Integer.parseInt(pod.address.substring(pod.address.lastIndexOf('.') + 1)) - 2;
    final String hostAddress = subnet + "." + (base + 1);
    must("ip", "netns", "add", pod.netns);
    must("ip", "link", "add", pod.hostVeth, "type", "veth", "peer", "name", podVeth);
    must("ip", "link", "set", podVeth, "netns", pod.netns);
    must("ip", "addr", "add", hostAddress + "/30", "dev", pod.hostVeth);
    must("ip", "link", "set", pod.hostVeth, "up");
    must("ip", "netns", "exec", pod.netns, "ip", "addr", "add", pod.address + "/30", "dev", podVeth);
    must("ip", "netns", "exec", pod.netns, "ip", "link", "set", podVeth, "up");
    must("ip", "netns", "exec", pod.netns, "ip", "link", "set", "lo", "up");
  }

  /** containerd's bundle, with the annotations the CRI plugin writes (only those oomwatch reads). */
  private void writeBundle(final Pod pod) throws IOException {
    final Path bundle = runtimeRoot.resolve(pod.containerId);
    Files.createDirectories(bundle);
    Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.1.0\",\"annotations\":{"
        + "\"io.kubernetes.cri.container-type\":\"container\","
        + "\"io.kubernetes.cri.container-name\":\"redis\","
        + "\"io.kubernetes.cri.sandbox-name\":\"" + pod.name + "\","
        + "\"io.kubernetes.cri.sandbox-namespace\":\"" + pod.namespace + "\","
        + "\"io.kubernetes.cri.sandbox-uid\":\"" + pod.uid + "\"}}");
  }

  private static void awaitListening(final Pod pod) {
    final long deadline = System.currentTimeMillis() + 15_000;
    while (System.currentTimeMillis() < deadline) {
      if (!pod.process.isAlive()) {
        throw new IllegalStateException("pod " + pod.name + "'s redis-server exited at start; see " + pod.dir);
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(pod.address, 6379), 200);
        return;
      } catch (IOException e) {
        LocalRedis.sleep(50);
      }
    }
    throw new IllegalStateException("pod " + pod.name + " did not listen on " + pod.address + ":6379 within 15 s");
  }

  @Override
  public void close() {
    for (final Pod pod : pods) {
      pod.stop();
    }
    for (final Pod pod : pods) {
      removeCgroup(pod.containerCgroup, 50);
      removeCgroup(pod.podCgroup, 50);
      run(List.of("ip", "link", "del", pod.hostVeth));
      run(List.of("ip", "netns", "del", pod.netns));
    }
    for (final Path parent : madeParents) {
      // another run's pods may still sit under a parent made here: then it stays
      removeCgroup(parent, 1);
    }
  }

  private static void removeCgroup(final Path cgroup, final int attempts) {
    for (int i = 0; i < attempts && Files.isDirectory(cgroup); i++) {
      try {
        Files.delete(cgroup);
      } catch (IOException e) {
        // still holds a process that is dying: wait a moment
        LocalRedis.sleep(100);
      }
    }
  }

  private static String randomId() {
    return (UUID.randomUUID().toString() + UUID.randomUUID()).replace("-", "");
  }

  private static void must(final String... command) {
    if (run(List.of(command)) != 0) {
      throw new IllegalStateException("failed: " + String.join(" ", command));
    }
  }

  private static int run(final List<String> command) {
    try {
      final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor();
    } catch (IOException e) {
      return 127;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 130;
    }
  }
}
