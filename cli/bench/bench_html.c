/*
 * bench_html.c - `skit bench --report FILE.html`: one self-contained
 * page (inline SVG and CSS, no script, nothing fetched) with the latency
 * percentile spectrum (rr, crr), the rate over time (each connection
 * and the total, the interval stated), the summary figures and the
 * record of the run (command line, address, kernel, CPUs, date,
 * version). With several records (--compare) the runs share the axes,
 * a legend names them and the table gives each figure's ratio to the
 * first run. Scales and ticks come from skit/plot.h.
 *
 * The charts are SVG with a viewBox: they scale to the page, from a
 * phone's width to print. Their parts carry classes (axis, tick, grid,
 * series, legend) so tests can find them in the DOM, and the page is
 * well-formed XML too (every element closed, numeric entities only), so
 * a plain XML parser can check it.
 */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define W	   900 /* the viewBox */
#define H_PLOT	   380 /* plot area and axes, without the legend */
#define M_LEFT	   100
#define M_RIGHT	   48
#define M_TOP	   16
#define M_BOTTOM   70
#define LEGEND_H   30 /* per legend row (room for the phone's font) */
#define LEGEND_MAX 10 /* series named one by one */

static const char *const palette[] = { "#1f77b4", "#d62728", "#2ca02c",
				       "#ff7f0e", "#9467bd", "#8c564b",
				       "#e377c2", "#17becf", "#bcbd22",
				       "#7f7f7f" };

/* Text into HTML (and SVG) with <, >, &, quotes escaped. */
static void
esc(FILE *f, const char *s)
{
	static const char *const ent[] = { "&lt;", "&gt;", "&amp;", "&quot;",
					   "&#39;" };
	const char *special = "<>&\"'", *e;

	for (; *s; s++) {
		e = strchr(special, *s);
		if (e)
			fputs(ent[e - special], f);
		else
			fputc(*s, f);
	}
}

struct series {
	const char *name;
	const double *x, *y; /* y[i * stride] */
	int n, stride;
	const char *color;
	double width;
	bool legend; /* named in the legend */
};

struct chart {
	const char *id, *title, *xtitle, *ytitle;
	bool xpct;     /* x is a position on the percentile axis */
	bool ylatency; /* y in us: shown in us or ms */
	double xmax;   /* 0: from the data */
	int ns;
	struct series s[LEGEND_MAX + 2];
	const char *extra_legend; /* a legend row for unnamed series */
	const char *extra_color;
};

static void
data_range(const struct chart *c, double *xmax, double *ymax)
{
	*xmax = c->xmax;
	*ymax = 0;
	for (int k = 0; k < c->ns; k++)
		for (int i = 0; i < c->s[k].n; i++) {
			double y = c->s[k].y[(size_t)i * c->s[k].stride];

			if (!c->xmax && c->s[k].x[i] > *xmax)
				*xmax = c->s[k].x[i];
			if (isfinite(y) && y > *ymax)
				*ymax = y;
		}
}

/* One tick label on the y axis, in units of div with the SI prefix. */
static void
y_label(char *buf, size_t len, double v, double div, double step,
	const char *prefix)
{
	double s = step / div;
	int dec = s >= 1 ? 0 : (int)ceil(-log10(s) - 1e-9);

	skit_plot_label(v / div, dec, 0, buf, len);
	if (*prefix && v != 0)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s", prefix);
}

/* One tick: its grid line g (x1, y1, x2, y2), its mark t (the same)
 * and its label at (lx, ly). */
static void
tick(FILE *f, const double *g, const double *t, double lx, double ly,
     const char *anchor, const char *lab)
{
	fprintf(f,
		"<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		"y2=\"%.1f\"/><line class=\"tick\" x1=\"%.1f\" y1=\"%.1f\" "
		"x2=\"%.1f\" y2=\"%.1f\"/><text class=\"tick-label\" "
		"x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>\n",
		g[0], g[1], g[2], g[3], t[0], t[1], t[2], t[3], lx, ly, anchor,
		lab);
}

static void
chart_axes(FILE *f, const struct chart *c, const struct skit_plot_ticks *xt,
	   const struct skit_plot_ticks *yt, double ydiv, const char *yprefix)
{
	double x0 = M_LEFT, x1 = W - M_RIGHT, y0 = H_PLOT - M_BOTTOM,
	       y1 = M_TOP;
	char lab[48];

	/* Grid and ticks. */
	fprintf(f, "<g class=\"axis y\">\n");
	for (int i = 0; i < yt->n; i++) {
		double y = skit_plot_scale(yt->v[i], yt->v[0], yt->v[yt->n - 1],
					   y0, y1);

		y_label(lab, sizeof(lab), yt->v[i], ydiv, yt->step, yprefix);
		tick(f, (const double[]){ x0, y, x1, y },
		     (const double[]){ x0 - 6, y, x0, y }, x0 - 9, y + 4, "end",
		     lab);
	}
	fprintf(f,
		"<line class=\"axis-line\" x1=\"%.1f\" y1=\"%.1f\" "
		"x2=\"%.1f\" y2=\"%.1f\"/>\n",
		x0, y0, x0, y1);
	fprintf(f,
		"<text class=\"axis-title\" transform=\"translate(24 %.1f) "
		"rotate(-90)\" text-anchor=\"middle\">",
		(y0 + y1) / 2);
	esc(f, c->ytitle);
	fprintf(f, "</text>\n</g>\n<g class=\"axis x\">\n");
	for (int i = 0; i < xt->n; i++) {
		double x = skit_plot_scale(xt->v[i], xt->v[0], xt->v[xt->n - 1],
					   x0, x1);

		skit_plot_label(xt->v[i], xt->decimals, c->xpct, lab,
				sizeof(lab));
		tick(f, (const double[]){ x, y0, x, y1 },
		     (const double[]){ x, y0, x, y0 + 6 }, x, y0 + 26, "middle",
		     lab);
	}
	fprintf(f,
		"<line class=\"axis-line\" x1=\"%.1f\" y1=\"%.1f\" "
		"x2=\"%.1f\" y2=\"%.1f\"/>\n",
		x0, y0, x1, y0);
	fprintf(f,
		"<text class=\"axis-title\" x=\"%.1f\" y=\"%d\" "
		"text-anchor=\"middle\">",
		(x0 + x1) / 2, H_PLOT - 8);
	esc(f, c->xtitle);
	fprintf(f, "</text>\n</g>\n");
}

static void
chart_legend(FILE *f, const struct chart *c, int rows)
{
	int row = 0;

	fprintf(f, "<g class=\"legend\">\n");
	for (int k = 0; k <= c->ns && row < rows; k++) {
		const char *name = k < c->ns ? c->s[k].name : c->extra_legend;
		const char *color = k < c->ns ? c->s[k].color : c->extra_color;
		double y = H_PLOT + 10 + row * LEGEND_H;

		if ((k < c->ns && !c->s[k].legend) || !name)
			continue;
		fprintf(f,
			"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
			"stroke=\"%s\" stroke-width=\"3\"/>"
			"<text class=\"legend-label\" x=\"%d\" y=\"%.1f\">",
			M_LEFT, y, M_LEFT + 28, y, color, M_LEFT + 36, y + 4);
		esc(f, name);
		fprintf(f, "</text>\n");
		row++;
	}
	fprintf(f, "</g>\n");
}

static void
chart_write(FILE *f, const struct chart *c)
{
	struct skit_plot_ticks xt, yt;
	double xmax, ymax, ydiv = 1, x0 = M_LEFT, x1 = W - M_RIGHT,
			   y0 = H_PLOT - M_BOTTOM, y1 = M_TOP;
	const char *yprefix = "";
	int rows = 0;

	data_range(c, &xmax, &ymax);
	if (c->xpct)
		skit_plot_ticks_pct(xmax < 1 ? 1 : xmax, &xt);
	else
		skit_plot_ticks_linear(0, xmax > 0 ? xmax : 1, 10, &xt);
	skit_plot_ticks_linear(0, ymax > 0 ? ymax : 1, 8, &yt);
	if (!c->ylatency)
		ydiv = skit_plot_si(yt.v[yt.n - 1], &yprefix);
	for (int k = 0; k < c->ns; k++)
		rows += c->s[k].legend;
	rows += c->extra_legend != NULL;
	fprintf(f,
		"<figure id=\"%s\">\n<svg "
		"viewBox=\"0 0 %d %d\" role=\"img\" aria-labelledby=\"%s-t\">"
		"\n<title id=\"%s-t\">",
		c->id, W, H_PLOT + rows * LEGEND_H + 8, c->id, c->id);
	esc(f, c->title);
	fprintf(f, "</title>\n");
	chart_axes(f, c, &xt, &yt, ydiv, yprefix);
	fprintf(f, "<g class=\"plot\">\n");
	for (int k = 0; k < c->ns; k++) {
		const struct series *s = &c->s[k];

		fprintf(f, "<polyline class=\"series\" data-name=\"");
		esc(f, s->name ? s->name : "");
		fprintf(f,
			"\" fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" "
			"stroke-linejoin=\"round\" points=\"",
			s->color, s->width);
		for (int i = 0; i < s->n; i++) {
			double y = s->y[(size_t)i * s->stride];

			if (!isfinite(y))
				continue;
			fprintf(f, "%s%.1f,%.1f", i ? " " : "",
				skit_plot_scale(s->x[i], xt.v[0],
						xt.v[xt.n - 1], x0, x1),
				skit_plot_scale(y, yt.v[0], yt.v[yt.n - 1], y0,
						y1));
		}
		fprintf(f, "\"/>\n");
	}
	fprintf(f, "</g>\n");
	chart_legend(f, c, rows);
	fprintf(f, "</svg>\n<figcaption>");
	esc(f, c->title);
	fprintf(f, "</figcaption>\n</figure>\n");
}

/* Latency in us, or in ms when the spectrum reaches 10 ms. */
static double
lat_div(const struct bench_record *recs, int n)
{
	for (int r = 0; r < n; r++)
		for (int i = 0; i < recs[r].nspec; i++)
			if (recs[r].spec_us[i] >= 10000)
				return 1000;
	return 1;
}

static void
spectrum_chart(FILE *f, const struct bench_record *recs, int n)
{
	static double x[LEGEND_MAX][BENCH_SPEC_MAX];
	static double y[LEGEND_MAX][BENCH_SPEC_MAX];
	struct chart c = { .id = "spectrum",
			   .title = "Latency by percentile",
			   .xtitle = "percentile (log scale: 1 / (1 - p))",
			   .xpct = true,
			   .ylatency = true };
	double div = lat_div(recs, n);
	int any = 0;

	c.ytitle = div > 1 ? "latency (ms)" : "latency (\xc2\xb5s)";
	for (int r = 0; r < n && r < LEGEND_MAX; r++) {
		const struct bench_record *rec = &recs[r];
		struct series *s = &c.s[c.ns];

		if (!rec->nspec)
			continue;
		for (int i = 0; i < rec->nspec; i++) {
			x[r][i] = skit_plot_pct_x(rec->spec_p[i]);
			y[r][i] = rec->spec_us[i] / div;
		}
		s->x = x[r];
		s->y = y[r];
		s->n = rec->nspec;
		s->stride = 1;
		s->name = rec->label;
		s->color = n > 1 ? palette[r % 10] : palette[0];
		s->width = 2.5;
		s->legend = true;
		c.ns++;
		any = 1;
	}
	if (!any)
		return;
	fprintf(f, "<section>\n<h2>Latency percentile spectrum</h2>\n");
	chart_write(f, &c);
	fprintf(f,
		"<p class=\"note\">Each point is the latency that that share "
		"of the requests did not exceed (HdrHistogram's percentile "
		"axis: 90%%, 99%%, 99.9%% evenly spaced).</p>\n</section>\n");
}

static void
rate_chart(FILE *f, const struct bench_record *recs, int n)
{
	static char names[LEGEND_MAX][32];
	struct chart c = { .id = "rate", .xtitle = "time since the start (s)" };
	char title[160], ytitle[64], extra[64];
	int any = 0;

	snprintf(ytitle, sizeof(ytitle), "%s", recs[0].rate_name);
	c.ytitle = ytitle;
	snprintf(title, sizeof(title), "%s over time, per %g s interval",
		 recs[0].rate_name, recs[0].interval_s);
	c.title = title;
	for (int r = 0; r < n; r++)
		any |= recs[r].nint > 0;
	if (!any)
		return;
	if (n == 1 && recs[0].nconn > 1) {
		const struct bench_record *rec = &recs[0];
		bool named = rec->nconn <= LEGEND_MAX - 1;

		for (int i = 0; i < rec->nconn && c.ns < LEGEND_MAX; i++) {
			struct series *s = &c.s[c.ns++];

			snprintf(names[i], sizeof(names[i]), "connection %d",
				 i);
			s->name = names[i];
			s->x = rec->t;
			s->y = rec->conn + i;
			s->stride = rec->nconn;
			s->n = rec->nint;
			s->color = named ? palette[(i + 1) % 10] : "#9aa5b1";
			s->width = 1.2;
			s->legend = named;
		}
		if (!named) {
			snprintf(extra, sizeof(extra),
				 "each connection (%d; the first %d drawn)",
				 rec->nconn, LEGEND_MAX);
			c.extra_legend = extra;
			c.extra_color = "#9aa5b1";
		}
	}
	for (int r = 0; r < n && c.ns < LEGEND_MAX + 2; r++) {
		struct series *s = &c.s[c.ns++];

		s->name = n > 1 ? recs[r].label : "total";
		s->x = recs[r].t;
		s->y = recs[r].total;
		s->stride = 1;
		s->n = recs[r].nint;
		s->color = n > 1 ? palette[r % 10] : "#111";
		s->width = 2.5;
		s->legend = true;
	}
	fprintf(f, "<section>\n<h2>");
	esc(f, title);
	fprintf(f, "</h2>\n");
	chart_write(f, &c);
	fprintf(f,
		"<p class=\"note\">Each point is one interval of %g s "
		"(--interval), drawn at its end; the warm-up is left "
		"out.</p>\n</section>\n",
		recs[0].interval_s);
}

/* A figure's value for the table: 1.23 M, with its unit. */
static void
fig_text(char *buf, size_t len, const struct bench_fig *fg)
{
	if (!strcmp(fg->unit, "%") || !strcmp(fg->unit, "ms"))
		snprintf(buf, len, "%.4g %s", fg->v, fg->unit);
	else if (!strcmp(fg->unit, "us") || !fg->unit[0])
		snprintf(buf, len, "%.6g%s%s", fg->v, fg->unit[0] ? " " : "",
			 !strcmp(fg->unit, "us") ? "\xc2\xb5s" : "");
	else {
		char h[32];

		bench_human(fg->v, h, sizeof(h));
		snprintf(buf, len, "%s%s", h,
			 !strcmp(fg->unit, "1/s") ? "" : fg->unit);
	}
}

static void
summary_table(FILE *f, const struct bench_record *recs, int n)
{
	char v[64];

	fprintf(f, "<section>\n<h2>Summary</h2>\n<div class=\"scroll\">"
		   "<table class=\"summary\">\n<thead><tr><th>figure</th>");
	for (int r = 0; r < n; r++) {
		fprintf(f, "<th>");
		esc(f, recs[r].label);
		fprintf(f, "</th>");
		if (r > 0)
			fprintf(f, "<th>ratio to the first</th>");
	}
	fprintf(f, "</tr></thead>\n<tbody>\n");
	for (int i = 0; i < recs[0].nfig; i++) {
		const struct bench_fig *fg = &recs[0].fig[i];

		fprintf(f, "<tr><th>");
		esc(f, fg->name);
		fprintf(f, "</th>");
		for (int r = 0; r < n; r++) {
			const struct bench_fig *g = NULL;

			for (int k = 0; k < recs[r].nfig; k++)
				if (!strcmp(recs[r].fig[k].key, fg->key))
					g = &recs[r].fig[k];
			if (!g) {
				fprintf(f, "<td>-</td>%s",
					r ? "<td>-</td>" : "");
				continue;
			}
			fig_text(v, sizeof(v), g);
			fprintf(f, "<td>");
			esc(f, v);
			fprintf(f, "</td>");
			if (r > 0) {
				if (fg->v != 0)
					fprintf(f,
						"<td class=\"ratio\">%.3f"
						"\xc3\x97</td>",
						g->v / fg->v);
				else
					fprintf(f, "<td>-</td>");
			}
		}
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "<tr><th>seconds counted</th>");
	for (int r = 0; r < n; r++)
		fprintf(f, "<td>%.3f</td>%s", recs[r].secs,
			r ? "<td></td>" : "");
	fprintf(f, "</tr>\n</tbody></table></div>\n");
	if (n > 1)
		fprintf(f, "<p class=\"note\">Ratios are each run's figure "
			   "divided by the first run's; for latencies lower "
			   "is better, for rates higher.</p>\n");
	fprintf(f, "</section>\n");
}

static void
record_row(FILE *f, const char *name, const struct bench_record *recs, int n,
	   size_t off, bool code)
{
	fprintf(f, "<tr><th>%s</th>", name);
	for (int r = 0; r < n; r++) {
		fprintf(f, code ? "<td><code>" : "<td>");
		esc(f, (const char *)&recs[r] + off);
		fprintf(f, code ? "</code></td>" : "</td>");
	}
	fprintf(f, "</tr>\n");
}

static void
record_table(FILE *f, const struct bench_record *recs, int n)
{
	fprintf(f, "<section>\n<h2>Record</h2>\n<div class=\"scroll\">"
		   "<table class=\"record\">\n<tbody>\n");
	if (n > 1)
		record_row(f, "run", recs, n,
			   offsetof(struct bench_record, label), false);
	record_row(f, "command line", recs, n,
		   offsetof(struct bench_record, command), true);
	record_row(f, "address", recs, n,
		   offsetof(struct bench_record, address), true);
	record_row(f, "mode", recs, n, offsetof(struct bench_record, mode),
		   false);
	fprintf(f, "<tr><th>connections, threads, pipeline</th>");
	for (int r = 0; r < n; r++)
		fprintf(f, "<td>%d, %d, %d</td>", recs[r].conns,
			recs[r].threads, recs[r].pipeline);
	fprintf(f, "</tr>\n");
	record_row(f, "kernel", recs, n, offsetof(struct bench_record, kernel),
		   false);
	fprintf(f, "<tr><th>CPUs</th>");
	for (int r = 0; r < n; r++)
		fprintf(f, "<td>%d</td>", recs[r].cpus);
	fprintf(f, "</tr>\n");
	record_row(f, "date (UTC)", recs, n,
		   offsetof(struct bench_record, date), false);
	record_row(f, "skit version", recs, n,
		   offsetof(struct bench_record, version), false);
	fprintf(f, "</tbody></table></div>\n</section>\n");
}

static const char css[] =
	"*{box-sizing:border-box}"
	"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,"
	"'Helvetica Neue',Arial,sans-serif;color:#111;background:#fff;"
	"max-width:1100px;margin:0 auto;padding:12px 16px}"
	"h1{font-size:1.5em;margin:.3em 0}h2{font-size:1.15em;margin:1.2em 0 "
	".4em}"
	".sub{color:#444;margin:0 0 .8em}"
	"figure{margin:0}svg{width:100%;height:auto;display:block}"
	"figcaption{position:absolute;left:-9999px}"
	"svg text{font-size:13px;fill:#222}"
	"svg .axis-title{font-size:14px;font-weight:600}"
	"svg .grid{stroke:#e3e6ea;stroke-width:1}"
	"svg .tick,svg .axis-line{stroke:#333;stroke-width:1}"
	".note{color:#555;font-size:.9em;margin:.3em 0}"
	".scroll{overflow-x:auto}"
	"table{border-collapse:collapse;margin:.3em 0}"
	"th,td{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left;"
	"vertical-align:top}"
	"td{font-variant-numeric:tabular-nums}"
	"code{font:13px ui-monospace,Menlo,Consolas,monospace;"
	"word-break:break-all}"
	/* A phone shows the 900-unit charts at about 40%: larger text in
	 * the SVG's units keeps it readable there. */
	"@media (max-width:600px){body{font-size:14px;padding:8px}"
	"svg text{font-size:26px}svg .axis-title{font-size:27px}}"
	"@media print{body{max-width:none;padding:0;font-size:11pt}"
	"section{break-inside:avoid;page-break-inside:avoid}"
	".scroll{overflow:visible}a{color:inherit}}";

int
bench_html_write(const char *path, const struct bench_record *recs, int n)
{
	FILE *f = fopen(path, "w");
	int bad;

	if (!f) {
		cli_errorf("bench: --report %s: %s", path, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		   "<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" "
		   "content=\"width=device-width, initial-scale=1\"/>\n"
		   "<title>");
	fprintf(f, "skit bench --mode %s%s ", recs[0].mode,
		n > 1 ? " (comparison)" : "");
	esc(f, n > 1 ? "" : recs[0].address);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", css);
	fprintf(f, "skit bench --mode %s", recs[0].mode);
	fprintf(f, "</h1>\n<p class=\"sub\">");
	if (n > 1) {
		fprintf(f, "%d runs compared", n);
	} else {
		esc(f, recs[0].address);
		fprintf(f, " &#183; %.2f s counted &#183; ", recs[0].secs);
		esc(f, recs[0].date);
	}
	fprintf(f, "</p>\n");
	spectrum_chart(f, recs, n);
	rate_chart(f, recs, n);
	summary_table(f, recs, n);
	record_table(f, recs, n);
	fprintf(f, "</body>\n</html>\n");
	bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		cli_errorf("bench: --report %s: %s", path, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	return 0;
}
