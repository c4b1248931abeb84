set datafile missing '-'
set style data histograms
set style histogram errorbars gap 2 lw 1
set style fill solid 0.7 border -1
set grid ytics
set key top left
set xtics nomirror
set bars 0.5
set terminal svg size 1200,800 dynamic font 'sans,12' background '#ffffff'
set output 'report.svg'
set multiplot layout 2,1
set logscale y
set format y '%g'
set ylabel 'us per operation (log scale)'
set title "pvmmu's guest kernel, lmbench-style workloads: time per operation (median, lowest-highest)"
plot 'report-guest-time.dat' using 2:3:4:xtic(1) title 'native', 'report-guest-time.dat' using 5:6:7 title 'hv', 'report-guest-time.dat' using 8:9:10 title 'xen'
set title "Debian's Linux measuring itself (pvmmu-linux): time per operation (median, lowest-highest)"
plot 'report-linux-time.dat' using 2:3:4:xtic(1) title 'native', 'report-linux-time.dat' using 5:6:7 title 'hv', 'report-linux-time.dat' using 8:9:10 title 'xen'
unset multiplot
set terminal svg size 1200,800 dynamic font 'sans,12' background '#ffffff'
set output 'report-ratio.svg'
set multiplot layout 2,1
set logscale y
set yrange [0.5:*]
set ytics (0.5, 1, 1.5, 2, 3, 5, 10, 20, 30, 50)
set ylabel 'PV / native (same run)'
set title "pvmmu's guest kernel, lmbench-style workloads: PV over native, run by run (median, lowest-highest)"
plot 'report-guest-ratio.dat' using 2:3:4:xtic(1) title 'hv/native', 'report-guest-ratio.dat' using 5:6:7 title 'xen/native', 'report-guest-ratio.dat' using 0:8 with points pt 7 ps 1.2 lc rgb 'black' title 'target'
set title "Debian's Linux measuring itself (pvmmu-linux): PV over native, run by run (median, lowest-highest)"
plot 'report-linux-ratio.dat' using 2:3:4:xtic(1) title 'hv/native', 'report-linux-ratio.dat' using 5:6:7 title 'xen/native', 'report-linux-ratio.dat' using 0:8 with points pt 7 ps 1.2 lc rgb 'black' title 'target'
unset multiplot
