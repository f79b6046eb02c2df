# peers.gp: the latency distributions of peers_bench as CDFs on a log time axis, one panel for 1
# client above one for many. gnuplot -e "dir='OUTDIR'; out='docs/peers.png'" bench/peers/peers.gp
# (optional: many=64, the --clients of the run). Paths without a sample file are left out.
if (!exists("dir")) dir = "build/peers"
if (!exists("out")) out = "docs/peers.png"
if (!exists("many")) many = 64

stems = "kernel socket socket-per-process fuse-class fuse-ioctl gamemode"
label(s) = s eq "kernel" ? "kernel /dev/cpu_dma_latency (floor)" : \
           s eq "socket" ? "perfqos socket add+remove" : \
           s eq "socket-per-process" ? "perfqos socket connect+add+close" : \
           s eq "fuse-class" ? "perfqos FUSE class node open+write+close" : \
           s eq "fuse-ioctl" ? "perfqos FUSE ioctl open+SET_MIN+close" : \
           s eq "gamemode" ? "GameMode request_start+request_end" : s
color(s) = s eq "kernel" ? "black" : s eq "socket" ? "#1a9850" : \
           s eq "socket-per-process" ? "#91cf60" : s eq "fuse-class" ? "#fc8d59" : \
           s eq "fuse-ioctl" ? "#d73027" : s eq "gamemode" ? "#4575b4" : "gray"
file(s, n) = sprintf("%s/%s-%d.txt", dir, s, n)
present(s, n) = system(sprintf("test -s '%s' && echo 1 || echo 0", file(s, n))) + 0

set terminal pngcairo size 1400,1000 font "DejaVu Sans,10" noenhanced
set output out
set logscale x
set format x "%g"
set xrange [0.5:200000]
set yrange [0:1]
set grid xtics ytics mxtics
set xlabel "take + release round trip (µs, log scale)"
set ylabel "fraction of operations at most x"
set key outside right top vertical Left reverse spacing 1.2
set style data lines

set multiplot layout 2,1 title "perfqos and its peers: take and release a request (peers_bench, one run)"
do for [n in sprintf("1 %d", many)] {
  clients = n + 0
  have = ""
  do for [s in stems] {
    if (present(s, clients)) { have = have . " " . s }
  }
  set title sprintf("%d client%s", clients, clients == 1 ? "" : "s, concurrent processes")
  plot for [s in have] file(s, clients) using 1:(1) smooth cnormal lw 2 lc rgb color(s) \
      title label(s)
}
unset multiplot
