#!/usr/bin/env bash
# Runs the JMH benchmarks of the hot paths (bench/src/main/java/dev/oomwatch/bench/jmh).
#   scripts/jmh.sh [JMH options, e.g. -f 1 -wi 3 -i 5 HotPaths.parseInfo]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$ROOT/bench/target/oomwatch-bench-0.1.0-SNAPSHOT.jar"
if [[ ! -f "$jar" || ! -d "$ROOT/bench/target/lib" ]]; then
  (cd "$ROOT" && ./mvnw -q -B -DskipTests install) >&2
fi
exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" -cp "$jar:$ROOT/bench/target/lib/*" org.openjdk.jmh.Main "$@"
