package dev.oomwatch.collector.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.collector.Fixtures;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ClientListTest {
  private static final String FIXTURE = Fixtures.text("redis/7.0-debian/client-list.txt");

  @Test
  void findsTheSlowSubscriberTheMonitorAndTheOddlyNamedClient() {
    final ClientList list = ClientList.parse(FIXTURE, 5);
    assertThat(list.count()).isEqualTo(5);
    final ClientList.Client top = list.topByOutputBuffer(1).get(0);
    assertThat(top.name()).isEqualTo("slow-subscriber");
    assertThat(top.omem()).isEqualTo(26_220_688L);
    assertThat(list.monitorCount()).isEqualTo(1);
    assertThat(list.totalOmem()).isEqualTo(26_220_688L);
    assertThat(list.topByOutputBuffer(5)).anySatisfy(c -> assertThat(c.name()).isEqualTo("odd=name:with=equals"));
  }

  @Test
  void onlyTheTopAreKeptButEveryClientIsCounted() {
    final ClientList list = ClientList.parse(FIXTURE, 2);
    assertThat(list.topByOutputBuffer(3)).hasSize(2);
    assertThat(list.count()).isEqualTo(5);
    assertThat(list.monitorCount()).isEqualTo(1);
    assertThat(list.totalOmem()).isEqualTo(26_220_688L);
  }

  @Test
  void unknownAndMissingFieldsDoNotBreakParsing() {
    final ClientList list = ClientList.parse("id=1 addr=1.2.3.4:5 flags=N future-field=x name=\nnonsense\n\nid=2 omem=notanumber\n", 5);
    assertThat(list.count()).isEqualTo(2);
    assertThat(list.topByOutputBuffer(5)).allSatisfy(c -> assertThat(c.omem()).isZero());
    assertThat(list.topByOutputBuffer(5)).anySatisfy(c -> {
      assertThat(c.addr()).isEqualTo("1.2.3.4:5");
      assertThat(c.name()).isNull();
      assertThat(c.totMem()).isNull();
    });
  }

  @Test
  void aRepliesBytesAreReadWhereTheyLieAndAVerbatimMarkIsSkipped() {
    final byte[] bytes = ("xxxxtxt:" + FIXTURE).getBytes(StandardCharsets.UTF_8);
    final ByteBuffer slice = ByteBuffer.wrap(bytes, 4, bytes.length - 4);
    final ClientList list = ClientList.parse(slice, 5);
    assertThat(list.count()).isEqualTo(5);
    assertThat(list.topByOutputBuffer(5)).noneMatch(c -> c.id() < 0);
    assertThat(slice.position()).isEqualTo(4);
  }

  /** 50,000 clients, one with a large buffer among them: it is found, and only the top are kept. */
  @Test
  void fiftyThousandClientsCostTheirTopOnly() {
    final StringBuilder reply = new StringBuilder();
    for (int i = 0; i < 50_000; i++) {
      reply.append("id=").append(i).append(" addr=10.0.").append(i / 250).append('.').append(i % 250)
          .append(":50000 laddr=10.0.0.1:6379 fd=").append(i + 10).append(" name= age=100 idle=100 flags=N db=0 sub=0 "
          + "psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=")
          .append(i == 31_337 ? 5_000_000 : i % 7).append(" tot-mem=1928 events=r cmd=get user=default redir=-1 resp=2\n");
    }
    final ClientList list = ClientList.parse(reply.toString(), 10);
    assertThat(list.count()).isEqualTo(50_000);
    assertThat(list.topByOutputBuffer(10)).hasSize(10);
    assertThat(list.topByOutputBuffer(1).get(0).id()).isEqualTo(31_337);
    assertThat(list.topByOutputBuffer(10).get(1).omem()).isEqualTo(6);
  }
}
