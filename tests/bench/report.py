#!/usr/bin/env python3
"""Table and results.json for make bench (tests/bench/run.sh).

usage: report.py OUTDIR

Reads OUTDIR/hf-NAME.json (hyperfine exports) and OUTDIR/meta.txt
(NAME<TAB>VALUE lines), prints the side-by-side table with ratios and
targets, and writes OUTDIR/results.json.
"""
import json
import os
import statistics
import sys



def load(outdir):
    bench = {}
    for f in sorted(os.listdir(outdir)):
        if not (f.startswith("hf-") and f.endswith(".json")):
            continue
        with open(os.path.join(outdir, f)) as fh:
            r = json.load(fh)["results"][0]
        times = r["times"]
        bench[f[3:-5]] = {
            "command": r["command"],
            "runs": len(times),
            "median_s": r["median"],
            "mean_s": r["mean"],
            "stddev_s": r.get("stddev") or 0.0,
            "min_s": r["min"],
            "max_s": r["max"],
            "user_s": r["user"],
            "system_s": r["system"],
            "cpu_s": r["user"] + r["system"],
            "exit_codes": sorted(set(r.get("exit_codes") or [])),
        }
    meta = {}
    with open(os.path.join(outdir, "meta.txt")) as fh:
        for line in fh:
            k, _, v = line.rstrip("\n").partition("\t")
            meta[k] = v
    return bench, meta


def ms(s):
    if s is None:
        return "-"
    v = s * 1000.0
    return "%.2f ms" % v if v < 10 else "%.1f ms" % v


def ratio(a, b):
    if a is None or b is None or b <= 0:
        return None
    return a / b


def rx(r):
    return "-" if r is None else "%.1fx" % r


def verdict(ok):
    return "MET" if ok else "MISSED"


def main():
    outdir = sys.argv[1]
    bench, meta = load(outdir)
    g = bench.get
    res = {"host": {k[5:]: v for k, v in meta.items()
                    if k.startswith("host.")},
           "benchmarks": bench, "derived": {}, "targets": {}}
    d = res["derived"]
    t = res["targets"]
    lines = []
    p = lines.append

    def med(name):
        return g(name)["median_s"] if g(name) else None

    def cpu(name):
        return g(name)["cpu_s"] if g(name) else None

    h = res["host"]
    p("ctdb checksamba benchmarks: %s CPUs (%s), kernel %s" %
      (h.get("nproc"), h.get("cpu"), h.get("kernel")))
    p("%s, ctdb %s, %s, %s" % (h.get("samba"), h.get("ctdb"),
                               h.get("hyperfine"), h.get("date")))
    p("medians of wall time; CPU = user+sys per run (hyperfine means, "
      "children included)")
    p("")

    # 1 and 5: the monitor cycle
    f_med = med("floor")
    s_med, s_cpu = med("stock_cycle"), cpu("stock_cycle")
    w_med, w_cpu = med("ours_warm"), cpu("ours_warm")
    c_med, c_cpu = med("ours_cold"), cpu("ours_cold")
    d["cycle_wall_ratio"] = ratio(s_med, w_med)
    d["cycle_cpu_ratio"] = ratio(s_cpu, w_cpu)
    d["cycle_cold_wall_ratio"] = ratio(s_med, c_med)
    d["cycle_cold_cpu_ratio"] = ratio(s_cpu, c_cpu)
    d["wrapper_wall_ratio"] = ratio(s_med, med("wrapper_warm"))
    d["wrapper_cpu_ratio"] = ratio(s_cpu, cpu("wrapper_warm"))
    d["wrapper_over_floor"] = ratio(med("wrapper_warm"), f_med)
    # against the warm cycle paced the same way (1.2 s apart), when
    # measured; back-to-back warm runs are cache-hot
    d["expired_over_warm_b2b"] = ratio(med("ours_expired"), w_med)
    d["expired_over_warm"] = ratio(med("ours_expired"),
                                   med("ours_warm_paced") or w_med)
    row = "| %-52s | %10s | %10s | %6s | %8s | %8s | %8s |"
    p("1. Healthy monitor cycle (2 shares, 2 ports, real smbd)")
    p(row % ("command", "median", "CPU/run", "runs", "x wall", "x CPU",
             "/ floor"))
    p(row % ("-" * 52, "-" * 10, "-" * 10, "-" * 6, "-" * 8, "-" * 8,
             "-" * 8))
    for name, label, rm, rc in (
            ("floor", "exec floor: a static program doing nothing",
             None, None),
            ("stock_cycle", "Debian 50.samba.script monitor", None, None),
            ("wrapper_warm", "our installed 50.samba.script monitor",
             d["wrapper_wall_ratio"], d["wrapper_cpu_ratio"]),
            ("ours_warm", "ctdb checksamba --managed, warm cache",
             d["cycle_wall_ratio"], d["cycle_cpu_ratio"]),
            ("ours_warm_paced", "same, runs 1.2 s apart",
             ratio(s_med, med("ours_warm_paced")),
             ratio(s_cpu, cpu("ours_warm_paced"))),
            ("ours_expired", "same, cache old by age (refresh detached)",
             ratio(s_med, med("ours_expired")),
             ratio(s_cpu, cpu("ours_expired"))),
            ("ours_cold", "ctdb checksamba --managed, cold (testparm)",
             d["cycle_cold_wall_ratio"], d["cycle_cold_cpu_ratio"])):
        if g(name):
            p(row % (label, ms(med(name)), ms(cpu(name)),
                     g(name)["runs"], rx(rm), rx(rc),
                     rx(ratio(med(name), f_med))))
    p("(the cold run is the first cycle, or one after smb.conf changed;")
    p(" the paced and the old-by-age runs come 1.2 s apart)")
    p("")

    # 2: checktcpport
    n = meta.get("conns.held", meta.get("conns", "?"))
    row2 = "| %-34s | %14s | %16s | %10s |"
    p("2. checktcpport on the listening smb port, wall median (CPU/run)")
    p(row2 % ("command", "0 connections", "%s connections" % n,
              "N / 0"))
    p(row2 % ("-" * 34, "-" * 14, "-" * 16, "-" * 10))
    for who, label in (("stock", "/usr/bin/ctdb checktcpport"),
                       ("ours", "build/ctdb checktcpport")):
        z, m = "%s_tcpport_0" % who, "%s_tcpport_n" % who
        d["%s_tcpport_flat_ratio" % who] = ratio(med(m), med(z))
        if g(z) and g(m):
            p(row2 % (label, "%s (%s)" % (ms(med(z)), ms(cpu(z))),
                      "%s (%s)" % (ms(med(m)), ms(cpu(m))),
                      rx(d["%s_tcpport_flat_ratio" % who])))
    d["tcpport_stock_over_ours_0"] = ratio(med("stock_tcpport_0"),
                                           med("ours_tcpport_0"))
    d["tcpport_stock_over_ours_n"] = ratio(med("stock_tcpport_n"),
                                           med("ours_tcpport_n"))
    if g("ours_warm_n"):
        d["cycle_warm_n_over_0"] = ratio(med("ours_warm_n"), w_med)
        p(row2 % ("checksamba --managed, warm", ms(w_med),
                  ms(med("ours_warm_n")), rx(d["cycle_warm_n_over_0"])))
    p("(stock / ours: %s at 0, %s at %s connections)" %
      (rx(d["tcpport_stock_over_ours_0"]),
       rx(d["tcpport_stock_over_ours_n"]), n))
    p("")

    # 3: share count
    row3 = "| %6s | %14s | %12s | %14s | %12s | %8s |"
    p("3. Share count (ours: the installed wrapper, warm cache; the stock")
    p("   script has no cache)")
    p(row3 % ("shares", "ours median", "ours CPU", "stock median",
              "stock CPU", "x wall"))
    p(row3 % ("-" * 6, "-" * 14, "-" * 12, "-" * 14, "-" * 12, "-" * 8))
    for sc in (10, 100, 1000, 10000):
        o, s = "ours_shares_%d" % sc, "stock_shares_%d" % sc
        if g(o):
            d["shares_%d_wall_ratio" % sc] = ratio(med(s), med(o))
            p(row3 % (sc, ms(med(o)), ms(cpu(o)), ms(med(s)), ms(cpu(s)),
                      rx(d["shares_%d_wall_ratio" % sc])))
    p("")

    # 4: peak RSS
    p("4. Peak RSS (/usr/bin/time -v, max of 3 runs; the maximum over the")
    p("   process and every child it waited for, i.e. its largest process)")
    for key, label in (
            ("stock_cycle", "Debian 50.samba.script monitor (largest child)"),
            ("ours_warm", "checksamba --managed, warm, 2 shares"),
            ("ours_warm_1000", "checksamba --managed, warm, 1000 shares"),
            ("ours_cold", "checksamba --managed, cold (testparm child)"),
            ("stock_tcpport", "/usr/bin/ctdb checktcpport"),
            ("ours_tcpport", "build/ctdb checktcpport")):
        v = meta.get("rss_kb." + key)
        if v:
            d["rss_kb_" + key] = int(v)
            p("   %-50s %7.2f MiB" % (label, int(v) / 1024.0))
    p("")

    # targets
    def target(key, desc, ok, got):
        t[key] = {"target": desc, "measured": got, "met": bool(ok)}
        p("   %-6s %-44s %s" % (verdict(ok), desc, got))

    p("Targets (issue 14)")
    cr = d["wrapper_wall_ratio"]
    if cr is not None:
        target("wrapper_wall", "installed wrapper >= 50x faster (wall)",
               cr >= 50, rx(cr))
    fr = d["wrapper_over_floor"]
    if fr is not None:
        target("wrapper_floor", "installed wrapper <= 1.6x the exec floor",
               fr <= 1.6, rx(fr))
    er = d["expired_over_warm"]
    if er is not None:
        target("expired", "cache old by age <= 1.5x the warm cycle",
               er <= 1.5, "%s (paced alike; %s of back-to-back runs)" %
               (rx(er), rx(d["expired_over_warm_b2b"])))
    z0 = d["tcpport_stock_over_ours_0"]
    if z0 is not None:
        target("tcpport_0", "checktcpport not slower than stock at 0",
               z0 >= 1.0, "stock/ours %s" % rx(z0))
    fl = d.get("ours_tcpport_flat_ratio")
    if fl is not None:
        target("tcpport_flat", "checktcpport at %s conns <= 2x its 0" % n,
               fl <= 2.0, rx(fl))
    m1 = med("ours_shares_1000")
    if m1 is not None:
        target("shares_1000", "1000 shares median < 20 ms (wrapper)",
               m1 < 0.020, ms(m1))
    m10 = med("ours_shares_10000")
    if m1 is not None and m10 is not None:
        target("shares_10000", "10000 shares <= 12x the 1000 figure",
               m10 <= 12 * m1, rx(ratio(m10, m1)))
    rss = d.get("rss_kb_ours_warm_1000", d.get("rss_kb_ours_warm"))
    rss2 = d.get("rss_kb_ours_warm")
    if rss2 is not None:
        worst = max(rss2, rss or 0)
        target("rss", "peak RSS < 5 MiB (warm, 2 and 1000 shares)",
               worst < 5 * 1024, "%.2f MiB" % (worst / 1024.0))
    p("   (checktcpport: compare section 2 with the README's earlier run)")

    text = "\n".join(lines)
    print(text)
    res["table"] = text
    with open(os.path.join(outdir, "results.json"), "w") as fh:
        json.dump(res, fh, indent=1, sort_keys=True)
        fh.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
