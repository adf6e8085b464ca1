package dev.oomwatch.collector.redis;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.lettuce.core.RedisException;
import io.lettuce.core.resource.NettyCustomizer;

/**
 * A bound on what one Redis may send for the commands of one sample: Lettuce holds a reply whole
 * before it is parsed and knows no limit, so a server answering INFO with 2 GB, or an array of
 * 2^31 elements, would take the collector's memory, and every other instance's sampling with it.
 * Bytes read since the last request are counted; past the budget the connection is closed and the
 * sample says why. A reply dripped slowly cannot grow across samples either: a command that times
 * out ends its connection ({@link RedisSampler}), with what was buffered of its reply. The largest reply asked for, CLIENT LIST at 20,000 clients, is about 7 MB.
 */
final class ReplyBudget extends ChannelDuplexHandler {
  private final long maxBytes;
  private long sinceLastRequest;
  private boolean over;

  ReplyBudget(final long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /**
   * Puts a budget on every connection of a client, just before Lettuce's command handler: the
   * bytes counted there are Redis's replies (after TLS), and the writes seen are commands, not a
   * TLS record that a server could provoke to reset the count.
   */
  static NettyCustomizer on(final long maxBytes) {
    return new NettyCustomizer() {
      @Override
      public void afterChannelInitialized(final Channel channel) {
        final ChannelPipeline pipeline = channel.pipeline();
        for (final String name : pipeline.names()) {
          if (pipeline.get(name) instanceof io.lettuce.core.protocol.CommandHandler) {
            pipeline.addBefore(name, "oomwatch-reply-budget", new ReplyBudget(maxBytes));
            return;
          }
        }
        pipeline.addFirst("oomwatch-reply-budget", new ReplyBudget(maxBytes));
      }
    };
  }

  @Override
  public void write(final ChannelHandlerContext ctx, final Object msg, final ChannelPromise promise) throws Exception {
    sinceLastRequest = 0;
    super.write(ctx, msg, promise);
  }

  @Override
  public void channelRead(final ChannelHandlerContext ctx, final Object msg) throws Exception {
    if (over) {
      io.netty.util.ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof ByteBuf buf) {
      sinceLastRequest += buf.readableBytes();
      if (sinceLastRequest > maxBytes) {
        over = true;
        buf.release();
        ctx.fireExceptionCaught(new RedisException("a reply larger than " + maxBytes / (1024 * 1024)
            + " MB (redis.reply.max.bytes): the connection is closed"));
        ctx.close();
        return;
      }
    }
    super.channelRead(ctx, msg);
  }
}
