package dev.oomwatch.collector.redis;

import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.CommandOutput;
import java.nio.ByteBuffer;

/**
 * CLIENT LIST's reply parsed where Lettuce holds it ({@link ClientList#parse(ByteBuffer, int)}),
 * so the reply never becomes a String on the heap: 50,000 clients are some 17 MB of text.
 */
final class ClientListOutput extends CommandOutput<String, String, ClientList> {
  private final int top;

  ClientListOutput(final int top) {
    super(StringCodec.UTF8, null);
    this.top = top;
  }

  @Override
  public void set(final ByteBuffer bytes) {
    output = ClientList.parse(bytes, top);
  }
}
