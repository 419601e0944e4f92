# plugtcp-sweep plot: one panel per y column against x, one line per group
# (mean over the runs at each x, bars from the least to the greatest).
# In: datafile (blocks per group: x, then mean min max per y, then runs),
# ngroups, ny, G[ngroups] (group labels), YL[ny] (y labels), LOGY[ny]
# (1: logarithmic y), xlabel, title, keytitle, logx; plus common.gp's.
width = 1000
height = 90 + 290 * ny
load plotsdir.'/common.gp'

if (logx) { set logscale x }
set xlabel xlabel
set key at screen 0.995, screen 1 - 80.0 / height right top vertical Left reverse \
  samplen 2 spacing 1.2 title keytitle left
# The same margins in every panel, so that their x axes line up; the
# key sits in the space on the right.
set lmargin at screen 0.08
set rmargin at screen 0.80
set multiplot layout ny,1 title title font ',13'
do for [k=1:ny] {
  set ylabel YL[k]
  if (LOGY[k]) {
    set logscale y
    set yrange [*:*]
  } else {
    unset logscale y
    set yrange [0:*]
  }
  if (k == 1) { set key } else { unset key }
  plot for [g=1:ngroups] datafile index (g-1) \
    using 1:(column(3*k-1)):(column(3*k)):(column(3*k+1)) \
    with yerrorlines lt g title G[g]
}
unset multiplot
