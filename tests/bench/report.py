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

MONITOR_INTERVAL = 15   # ctdb's MonitorInterval, seconds
CACHE_MAX_AGE = 60      # CTDB_SAMBA_CACHE_MAX_AGE default, seconds


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
    s_med, s_cpu = med("stock_cycle"), cpu("stock_cycle")
    w_med, w_cpu = med("ours_warm"), cpu("ours_warm")
    c_med, c_cpu = med("ours_cold"), cpu("ours_cold")
    k = CACHE_MAX_AGE // MONITOR_INTERVAL
    a_med = a_cpu = None
    if w_med is not None and c_med is not None:
        a_med = ((k - 1) * w_med + c_med) / k
        a_cpu = ((k - 1) * w_cpu + c_cpu) / k
    d["cycle_wall_ratio"] = ratio(s_med, w_med)
    d["cycle_cpu_ratio"] = ratio(s_cpu, w_cpu)
    d["cycle_cold_wall_ratio"] = ratio(s_med, c_med)
    d["cycle_cold_cpu_ratio"] = ratio(s_cpu, c_cpu)
    d["cycle_amortised_wall_s"] = a_med
    d["cycle_amortised_cpu_s"] = a_cpu
    d["cycle_amortised_wall_ratio"] = ratio(s_med, a_med)
    d["cycle_amortised_cpu_ratio"] = ratio(s_cpu, a_cpu)
    row = "| %-52s | %10s | %10s | %6s | %8s | %8s |"
    p("1. Healthy monitor cycle (2 shares, 2 ports, real smbd)")
    p(row % ("command", "median", "CPU/run", "runs", "x wall", "x CPU"))
    p(row % ("-" * 52, "-" * 10, "-" * 10, "-" * 6, "-" * 8, "-" * 8))
    for name, label, rm, rc in (
            ("stock_cycle", "Debian 50.samba.script monitor", None, None),
            ("ours_warm", "ctdb checksamba --managed, warm cache",
             d["cycle_wall_ratio"], d["cycle_cpu_ratio"]),
            ("ours_cold", "ctdb checksamba --managed, cold (testparm)",
             d["cycle_cold_wall_ratio"], d["cycle_cold_cpu_ratio"])):
        if g(name):
            p(row % (label, ms(med(name)), ms(cpu(name)),
                     g(name)["runs"], rx(rm), rx(rc)))
    if a_med is not None:
        p(row % ("ours, 1 refresh in %d cycles (60 s cache, 15 s)" % k,
                 ms(a_med), ms(a_cpu), "-",
                 rx(d["cycle_amortised_wall_ratio"]),
                 rx(d["cycle_amortised_cpu_ratio"])))
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
    p("3. Share count (warm cache for ours; the stock script has none)")
    p(row3 % ("shares", "ours median", "ours CPU", "stock median",
              "stock CPU", "x wall"))
    p(row3 % ("-" * 6, "-" * 14, "-" * 12, "-" * 14, "-" * 12, "-" * 8))
    for sc in (10, 100, 1000):
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

    p("Targets (issue 6)")
    cr, ur = d["cycle_wall_ratio"], d["cycle_cpu_ratio"]
    if cr is not None:
        target("cycle_wall", "healthy cycle >= 50x faster (median wall)",
               cr >= 50, rx(cr))
    if ur is not None:
        target("cycle_cpu", "healthy cycle >= 50x less CPU",
               ur >= 50, rx(ur))
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
        target("shares_1000", "1000 shares median < 20 ms", m1 < 0.020,
               ms(m1))
    rss = d.get("rss_kb_ours_warm_1000", d.get("rss_kb_ours_warm"))
    rss2 = d.get("rss_kb_ours_warm")
    if rss2 is not None:
        worst = max(rss2, rss or 0)
        target("rss", "peak RSS < 5 MiB (warm, 2 and 1000 shares)",
               worst < 5 * 1024, "%.2f MiB" % (worst / 1024.0))
    ar = d["cycle_amortised_wall_ratio"]
    if ar is not None:
        p("   (not a target: with the default 60 s cache life ours is "
          "%s faster, %s less CPU)" % (rx(ar),
                                       rx(d["cycle_amortised_cpu_ratio"])))

    text = "\n".join(lines)
    print(text)
    res["table"] = text
    with open(os.path.join(outdir, "results.json"), "w") as fh:
        json.dump(res, fh, indent=1, sort_keys=True)
        fh.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
