package dev.oomwatch.collector.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oomwatch.collector.Fixtures;
import org.junit.jupiter.api.Test;

class ClientListTest {

  @Test
  void findsTheSlowSubscriberTheMonitorAndTheOddlyNamedClient() {
    final ClientList list = ClientList.parse(Fixtures.text("redis/7.0-debian/client-list.txt"));
    assertThat(list.clients()).hasSize(5);
    final ClientList.Client top = list.topByOutputBuffer(1).get(0);
    assertThat(top.text("name")).isEqualTo("slow-subscriber");
    assertThat(top.omem()).isEqualTo(26_220_688L);
    assertThat(list.monitorCount()).isEqualTo(1);
    assertThat(list.totalOmem()).isEqualTo(26_220_688L);
    assertThat(list.clients()).anySatisfy(c -> assertThat(c.text("name")).isEqualTo("odd=name:with=equals"));
  }

  @Test
  void topIsBoundedAndAnEmptyNameIsNull() {
    final ClientList list = ClientList.parse(Fixtures.text("redis/7.0-debian/client-list.txt"));
    assertThat(list.topByOutputBuffer(3)).hasSize(3);
    assertThat(list.clients().get(0).text("name")).isNull();
  }

  @Test
  void unknownAndMissingFieldsDoNotBreakParsing() {
    final ClientList list = ClientList.parse("id=1 addr=1.2.3.4:5 flags=N future-field=x\nnonsense\n\nid=2 omem=notanumber\n");
    assertThat(list.clients()).hasSize(2);
    assertThat(list.clients().get(0).omem()).isZero();
    assertThat(list.clients().get(1).omem()).isZero();
    assertThat(list.clients().get(0).totMem()).isNull();
  }
}
