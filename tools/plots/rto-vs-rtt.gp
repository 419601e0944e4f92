# plugtcp-sweep figure rto-vs-rtt: per rto policy, the RTT samples the
# sender took, the RTO its policy computed after each, and the timeouts.
# In: datadir (samples-I.dat: time, RTT, RTO; timeouts-I.dat: time, the
# RTO that expired), np, NAME[np] (canonical specs), SUB[np] (the run's
# counts), command (how the runs were made), xmax, ymin, ymax; plus
# common.gp's.
cols = 2
rows = (np + cols - 1) / cols
width = 1200
height = 110 + 280 * rows
load plotsdir.'/common.gp'

set multiplot layout rows,cols margins 0.06,0.98,0.07,0.90 spacing 0.07,0.11 \
  title "RTT samples and the RTO each rto policy computes from them, on a path whose delay changes\n".command font ',12'
set xrange [0:xmax]
# RTTs and RTOs span more than a decade: a logarithmic axis.
set logscale y
set yrange [ymin:ymax]
set ytics (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)
set mytics 1
set xlabel 'time (s)'
set ylabel 'RTT, RTO (s, log scale)'
set key top left horizontal samplen 1.5 spacing 1 width -2 opaque box lc rgb '#cccccc'
do for [i=1:np] {
  set title NAME[i]."\n".SUB[i] font ',10'
  if (i == 1) { set key } else { unset key }
  plot sprintf('%s/samples-%d.dat', datadir, i) using 1:3 with steps lt 2 lw 2 \
         title 'RTO after each sample', \
       '' using 1:2 with points lt 1 pt 7 ps 0.55 title 'RTT sample', \
       sprintf('%s/timeouts-%d.dat', datadir, i) using 1:(($2 < ymax) ? $2 : ymax*0.95) \
         with points lt 7 pt 2 ps 1.4 lw 2 title 'timeout (at the RTO that expired)'
}
unset multiplot
