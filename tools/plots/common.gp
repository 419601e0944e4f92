# plugtcp-sweep: terminal and style shared by every figure.
# In (set by plugtcp-sweep with -e): term ('svg' or 'png'), out (the file),
# width and height (pixels, set by the figure's script before it loads
# this one).
if (term eq 'svg') {
  set terminal svg size width,height dynamic noenhanced font 'Sans,12' \
    background rgb 'white'
} else {
  if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
    set terminal pngcairo size width,height noenhanced font 'Sans,10' \
      background rgb 'white'
  } else {
    set terminal png size width,height noenhanced font 'Sans,10' \
      background rgb 'white'
  }
}
set output out
set encoding utf8

# Okabe and Ito's colour-blind-safe palette, then dashes for more lines.
set linetype 1 lc rgb '#0072b2' lw 2 pt 7 ps 0.7 dt 1
set linetype 2 lc rgb '#d55e00' lw 2 pt 5 ps 0.7 dt 1
set linetype 3 lc rgb '#009e73' lw 2 pt 9 ps 0.8 dt 1
set linetype 4 lc rgb '#cc79a7' lw 2 pt 11 ps 0.8 dt 1
set linetype 5 lc rgb '#e69f00' lw 2 pt 13 ps 0.8 dt 1
set linetype 6 lc rgb '#56b4e9' lw 2 pt 4 ps 0.7 dt 1
set linetype 7 lc rgb '#000000' lw 2 pt 6 ps 0.7 dt 1
set linetype 8 lc rgb '#f0e442' lw 2 pt 8 ps 0.8 dt 1
set linetype cycle 8
set border 3 lc rgb '#444444'
set tics nomirror
set grid xtics ytics lc rgb '#e0e0e0' lw 1 dt 1
set key noautotitle
