# plugtcp-sweep figure close-timeline: per close policy, the states of
# both sides over time (bars) and the segments between them (arrows: SYN
# blue, FIN orange, RST red, others grey; a lost one stops half way at a
# cross) in the time-wait scenario.  Left: the first 60 ms, the handshake
# and the close; right: the whole run, TIME-WAIT included.
# In: datadir (bars-I.dat: from, to, row, state; segs-I.dat: sent, row,
# flight, rows, kind; lost-I.dat: the same, half way; labels-I.dat: time,
# row, text), np, NAME[np], FATE[np], STATE[10], tmax; plus common.gp's.
# Policy I's rows (from the top): client at 4 (np - I) + 3, server 1.5
# below, as figures.c writes them.
width = 1300
height = 150 + 120 * np
load plotsdir.'/common.gp'

# State colours (ColorBrewer Paired), in STATE's order.
array SC[10] = [0xbdbdbd, 0xa6cee3, 0x1f78b4, 0xb2df8a, 0xfdbf6f, 0xff7f00, \
                0xcab2d6, 0x6a3d9a, 0xfb9a99, 0xe31a1c]
array SCS[10] = ['#bdbdbd', '#a6cee3', '#1f78b4', '#b2df8a', '#fdbf6f', '#ff7f00', \
                 '#cab2d6', '#6a3d9a', '#fb9a99', '#e31a1c']
# Segment colours by kind: SYN, FIN, RST, other.
array KC[4] = [0x0072b2, 0xd55e00, 0xcc0000, 0x555555]

set yrange [0.9:4 * np + 0.1]
set ytics () font ',9'
do for [i=1:np] {
  yc = 4 * (np - i) + 3
  set ytics add ('client' yc, 'server' yc - 1.5)
}
unset grid
set grid xtics lc rgb '#e8e8e8'
set style fill solid 1.0 noborder
set style textbox opaque noborder margins 1,1
bh = 0.28

set multiplot title "Handshake and close per close policy: plugtcp-sim -s time-wait --msl 5s (the client's last ACK is lost)" font ',13'

# Left: the first 60 ms, in ms.
set lmargin at screen 0.07
set rmargin at screen 0.53
set bmargin at screen 0.17
set tmargin at screen 1 - 55.0 / height
set xrange [0:60]
set xtics 10
set xlabel 'time (ms): handshake and close'
unset key
do for [i=1:np] {
  yc = 4 * (np - i) + 3
  set label 100 + i NAME[i] at graph 0.01, first yc + 0.55 left font ',10' front
}
plot for [i=1:np] sprintf('%s/bars-%d.dat', datadir, i) \
       using (($1 + $2) * 500):3:($1 * 1e3):($2 * 1e3):($3 - bh):($3 + bh):(SC[int($4)]) \
       with boxxyerror lc rgb variable, \
     for [i=1:np] sprintf('%s/segs-%d.dat', datadir, i) \
       using ($1 * 1e3):($2 + ($4 > 0 ? bh : -bh)):($3 * 1e3):($4 - ($4 > 0 ? 2 : -2) * bh):(KC[int($5)]) \
       with vectors head filled size screen 0.006,20 lw 1.2 lc rgb variable, \
     for [i=1:np] sprintf('%s/lost-%d.dat', datadir, i) \
       using ($1 * 1e3):($2 + ($4 > 0 ? bh : -bh)):($3 * 1e3):($4 - ($4 > 0 ? 1 : -1) * bh):(KC[int($5)]) \
       with vectors nohead dt 2 lw 1.2 lc rgb variable, \
     for [i=1:np] sprintf('%s/lost-%d.dat', datadir, i) \
       using (($1 + $3) * 1e3):($2 + $4) with points pt 2 ps 1.3 lw 2 lc rgb '#cc0000', \
     for [i=1:np] sprintf('%s/labels-%d.dat', datadir, i) \
       using ($1 * 1e3):2:3 with labels boxed font ',8'
unset label

# Right: the whole run, in s.
set lmargin at screen 0.56
set rmargin at screen 0.98
set xrange [0:tmax * 1.02]
set xtics autofreq
set xlabel 'time (s): the whole run'
unset ytics
do for [i=1:np] {
  yc = 4 * (np - i) + 3
  set label 200 + i FATE[i] at graph 0.01, first yc + 0.55 left font ',10' front
}
set key at screen 0.5, screen 0.005 center bottom horizontal maxrows 2 samplen 1.2 \
  spacing 1 width 1 font ',10'
plot for [i=1:np] sprintf('%s/bars-%d.dat', datadir, i) \
       using (($1 + $2) / 2):3:1:2:($3 - bh):($3 + bh):(SC[int($4)]) \
       with boxxyerror lc rgb variable notitle, \
     for [i=1:np] sprintf('%s/segs-%d.dat', datadir, i) \
       using 1:($2 + ($4 > 0 ? bh : -bh)):3:($4 - ($4 > 0 ? 2 : -2) * bh):(KC[int($5)]) \
       with vectors head filled size screen 0.006,20 lw 1.2 lc rgb variable notitle, \
     for [i=1:np] sprintf('%s/lost-%d.dat', datadir, i) \
       using ($1 + $3):($2 + $4) with points pt 2 ps 1.3 lw 2 lc rgb '#cc0000' notitle, \
     for [k=1:10] keyentry with boxes fc rgb SCS[k] title STATE[k]
unset multiplot
