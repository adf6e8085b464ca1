# A process that calls itself redis-server (it is perl, run from a copy named so) and answers a
# little RESP on BIND:PORT (0.0.0.0 unless given), writing every command it receives to LOG, one line each: what a
# hostile container would do to collect the credentials a collector sends. With CLIENTS, it reports
# that many connected clients and lists as many in CLIENT LIST, each line as Redis 7 writes it: a
# Redis busier than this machine's descriptor limit lets a real one be.
use strict;
use warnings;
use IO::Socket::INET;

$SIG{PIPE} = "IGNORE"; # a client that hangs up ends one connection, not the server

my ($port, $log, $clients, $bind, $mode) = @ARGV;
$clients //= 1;
$bind //= "0.0.0.0";
# normal: answers as above; flood: answers INFO with a 2 GB bulk it never finishes sending;
# silent: reads every command and never answers; drip: answers INFO one byte every 50 ms, forever,
# a reply far under any size bound that never ends
$mode //= "normal";
my $list = '';
for my $i (1 .. $clients) {
  $list .= "id=$i addr=10.0." . int($i / 250) . "." . ($i % 250) . ":50000 laddr=10.0.0.1:6379 fd=" . ($i + 10)
    . " name= age=100 idle=100 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0"
    . " multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=1928 events=r cmd=get user=default redir=-1 resp=2\n";
}
my $server = IO::Socket::INET->new(LocalAddr => $bind, LocalPort => $port, Listen => 16, ReuseAddr => 1)
  or die "cannot listen on $port: $!";
open(my $out, ">>", $log) or die "cannot write $log: $!";
$out->autoflush(1);

sub bulk { my ($c, $text) = @_; print $c "\$" . length($text) . "\r\n" . $text . "\r\n"; }

while (my $c = $server->accept) {
  $c->autoflush(1);
  while (defined(my $line = <$c>)) {
    next unless $line =~ /^\*(\d+)/;
    my @args;
    for (1 .. $1) {
      my $len = <$c>;
      last unless defined $len && $len =~ /^\$(\d+)/;
      my $n = $1;
      my $buf = '';
      read($c, $buf, $n + 2);
      push @args, substr($buf, 0, $n);
    }
    print $out join(" ", @args), "\n";
    my $cmd = uc($args[0] // '');
    next if $mode eq 'silent';
    if ($mode eq 'flood' && $cmd eq 'INFO') {
      print $c "\$2000000000\r\n";
      my $chunk = "x" x 65536;
      while (print $c $chunk) { }
      last;
    }
    if ($mode eq 'drip' && $cmd eq 'INFO') {
      print $c "\$1000000\r\n";
      while (print $c "x") { select(undef, undef, undef, 0.05); }
      last;
    }
    if ($cmd eq 'HELLO') {
      print $c "-ERR unknown command 'HELLO'\r\n";
    } elsif ($cmd eq 'INFO') {
      bulk($c, "# Server\r\nredis_version:7.2.4\r\nprocess_id:1\r\nrun_id:" . ("7" x 40) . "\r\ntcp_port:$port\r\n"
        . "uptime_in_seconds:10\r\n# Clients\r\nconnected_clients:$clients\r\n"
        . "# Memory\r\nused_memory:1000000\r\nmaxmemory:0\r\n");
    } elsif ($cmd eq 'CLIENT' && uc($args[1] // '') eq 'LIST') {
      bulk($c, $list);
    } elsif ($cmd eq 'CONFIG') {
      print $c "*0\r\n";
    } else {
      print $c "+OK\r\n";
    }
  }
  close $c;
}
