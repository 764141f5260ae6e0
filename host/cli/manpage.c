/*
 * manpage.c - man pages and shell completion made from the command table
 * itself, at build time (packaging/CMakeLists.txt):
 *
 *   mohur --man DIR            mohur.1 and one page per command
 *                              (mohur-issue.1, mohur-docs-list.1, ...)
 *   mohur --completion bash    a bash completion script
 *
 * A command's page is made from its spec (opt.h), the rows its --help is
 * printed from: the usage (SYNOPSIS), the description, one tagged paragraph
 * per option row (OPTIONS), then the spec's closing sections ("Exit
 * status:", "Example:"); the completion offers each command's rows. The
 * table's summary is the NAME line. Nothing is written twice, so the pages
 * cannot drift from --help.
 *
 * Free text (the top-level help, a spec's closing sections) follows one
 * shape, which this turns into roff: "Usage:" lines (SYNOPSIS), paragraphs
 * (DESCRIPTION), "Heading:" lines (a section: Exit status, Environment,
 * Example), "  --opt ARG   text" items (tagged paragraphs), other indented
 * lines (kept as they are).
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MH_VERSION
#define MH_VERSION "unknown"
#endif

/* Text for roff: backslashes escaped, '-' as \-, a leading . or ' guarded. */
static void roff_text(FILE *f, const char *s, size_t n, bool line_start)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (line_start && i == 0 && (c == '.' || c == '\''))
            fputs("\\&", f);
        unsigned char u = (unsigned char)c;
        if (u >= 0xc2 && u <= 0xf4) {
            /* UTF-8 as groff's \[uXXXX], so no preprocessor is needed */
            size_t len = u >= 0xf0 ? 4 : u >= 0xe0 ? 3 : 2;
            uint32_t cp = u & (len == 2 ? 0x1fu : len == 3 ? 0x0fu : 0x07u);
            size_t k = 1;
            for (; k < len && i + k < n && ((unsigned char)s[i + k] & 0xc0) == 0x80; k++)
                cp = cp << 6 | ((unsigned char)s[i + k] & 0x3fu);
            if (k == len) {
                fprintf(f, "\\[u%04X]", (unsigned)cp);
                i += len - 1;
                continue;
            }
        }
        if (c == '\\')
            fputs("\\e", f);
        else if (c == '-')
            fputs("\\-", f);
        else
            fputc(c, f);
    }
}

static bool blank(const char *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (l[i] != ' ' && l[i] != '\t')
            return false;
    return true;
}

/* "Options:" or "Exit status: 0 ..." at the start of a line: the length of
 * the heading (without the colon), else 0. */
static size_t heading(const char *l, size_t n)
{
    static const char *const known[] = {
        "Options",  "Exit status", "Environment", "Example", "Examples", "Files",       "Notes",
        "Commands", "Exit codes",  "Output",      "Formats", "See also", "Usage notes", "Verdicts"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        size_t k = strlen(known[i]);
        if (n > k && strncmp(l, known[i], k) == 0 && l[k] == ':')
            return k;
    }
    /* any short "Words:" line alone */
    if (n >= 2 && n < 40 && l[n - 1] == ':' && l[0] >= 'A' && l[0] <= 'Z' && !memchr(l, '.', n))
        return n - 1;
    return 0;
}

static void section(FILE *f, const char *l, size_t k)
{
    fputs(".SH ", f);
    for (size_t i = 0; i < k; i++) {
        char c = l[i];
        fputc(c >= 'a' && c <= 'z' ? c - 32 : c, f);
    }
    fputc('\n', f);
}

/* the section being written: none yet, the synopsis, the description,
 * another */
enum sec { S_NONE, S_SYN, S_DESC, S_OTHER };

/* Writes the body of a page, or of its section `sec`, from a help text. */
static void help_to_roff(FILE *f, const char *help, enum sec sec)
{
    enum { NONE, SYN, PARA, ITEM, PRE } st = NONE;
    const char *p = help;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        const char *l = p;
        p = e ? e + 1 : p + n;
        if (blank(l, n)) {
            if (st == PRE)
                fputs(".fi\n", f);
            if (st != NONE && st != SYN)
                fputs(".PP\n", f);
            if (st == SYN)
                fputs(".fi\n", f);
            st = NONE;
            continue;
        }
        if (strncmp(l, "Usage: ", 7) == 0) {
            if (st == PRE)
                fputs(".fi\n", f);
            fputs(".SH SYNOPSIS\n.nf\n", f);
            sec = S_SYN;
            roff_text(f, l + 7, n - 7, true);
            fputc('\n', f);
            st = SYN;
            continue;
        }
        if (st == SYN) {
            /* continuation of the usage: drop the alignment spaces */
            size_t b = 0;
            while (b < n && l[b] == ' ')
                b++;
            if (strncmp(l + b, "mohur", 5) != 0)
                fputs("    ", f);
            roff_text(f, l + b, n - b, true);
            fputc('\n', f);
            continue;
        }
        size_t k = heading(l, n);
        if (k && l[0] != ' ') {
            if (st == PRE)
                fputs(".fi\n", f);
            section(f, l, k);
            sec = S_OTHER;
            st = NONE;
            size_t rest = k + 1;
            while (rest < n && l[rest] == ' ')
                rest++;
            if (rest < n) {
                roff_text(f, l + rest, n - rest, true);
                fputc('\n', f);
                st = PARA;
            }
            continue;
        }
        if (sec == S_NONE || sec == S_SYN) {
            if (st == PRE)
                fputs(".fi\n", f);
            fputs(".SH DESCRIPTION\n", f);
            sec = S_DESC;
            st = NONE;
        }
        if (l[0] == ' ') {
            size_t b = 0;
            while (b < n && l[b] == ' ')
                b++;
            /* "  --opt ARG   text": a tagged paragraph */
            if (b <= 4 && l[b] == '-' && b + 1 < n && l[b + 1] != ' ') {
                const char *gap = NULL;
                for (size_t i = b; i + 1 < n; i++)
                    if (l[i] == ' ' && l[i + 1] == ' ') {
                        gap = l + i;
                        break;
                    }
                if (st == PRE)
                    fputs(".fi\n", f);
                fputs(".TP\n.B ", f);
                size_t tl = gap ? (size_t)(gap - l) - b : n - b;
                roff_text(f, l + b, tl, false);
                fputc('\n', f);
                if (gap) {
                    const char *t = gap;
                    while (*t == ' ')
                        t++;
                    roff_text(f, t, n - (size_t)(t - l), true);
                    fputc('\n', f);
                }
                st = ITEM;
                continue;
            }
            if (st == ITEM && b >= 4) {
                roff_text(f, l + b, n - b, true);
                fputc('\n', f);
                continue;
            }
            if (st != PRE) {
                fputs(".nf\n", f);
                st = PRE;
            }
            roff_text(f, l, n, true);
            fputc('\n', f);
            continue;
        }
        if (st == PRE)
            fputs(".fi\n", f);
        roff_text(f, l, n, true);
        fputc('\n', f);
        st = PARA;
    }
    if (st == PRE || st == SYN)
        fputs(".fi\n", f);
}

static int roff_row(void *ctx, const struct mh_cli_opt *row, const char *left, const char *help)
{
    FILE *f = ctx;
    (void)row;
    fputs(".TP\n.B ", f);
    roff_text(f, left, strlen(left), false);
    fputc('\n', f);
    for (const char *p = help; *p;) {
        size_t n = strcspn(p, "\n");
        roff_text(f, p, n, true);
        fputc('\n', f);
        p += n + (p[n] == '\n');
    }
    return 0;
}

/* Writes the body of a command's page from its spec. */
static void spec_to_roff(FILE *f, const struct mh_cli_spec *s)
{
    size_t ul = strlen(s->usage);
    char *usage = malloc(ul + 9);
    if (usage) {
        memcpy(usage, "Usage: ", 7);
        memcpy(usage + 7, s->usage, ul);
        memcpy(usage + 7 + ul, "\n", 2);
        help_to_roff(f, usage, S_NONE);
        free(usage);
    }
    if (s->about) {
        fputs(".SH DESCRIPTION\n", f);
        help_to_roff(f, s->about, S_DESC);
    }
    fputs(".SH OPTIONS\n", f);
    mh_cli_each_opt(s, roff_row, f);
    if (s->more) {
        fputs(".PP\n", f);
        help_to_roff(f, s->more, S_OTHER);
    }
}

static int write_page(const char *dir, const char *file, const char *name, const char *summary,
                      const char *help, const struct mh_cli_spec *spec,
                      const struct mh_cli_cmd *top)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.1", dir, file);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "mohur: %s cannot be written: %s\n", path, strerror(errno));
        return MH_EXIT_INPUT;
    }
    char upper[128];
    size_t i;
    for (i = 0; file[i] && i + 1 < sizeof upper; i++)
        upper[i] = file[i] >= 'a' && file[i] <= 'z' ? (char)(file[i] - 32) : file[i];
    upper[i] = '\0';
    fprintf(f, ".\\\" Made by 'mohur --man' from the command table and --help; do not edit.\n");
    fprintf(f, ".TH %s 1 \"\" \"mohur %s\" \"mohur manual\"\n.SH NAME\n", upper, MH_VERSION);
    roff_text(f, file, strlen(file), true);
    fputs(" \\- ", f);
    roff_text(f, summary, strlen(summary), false);
    fputc('\n', f);
    if (spec)
        spec_to_roff(f, spec);
    else
        help_to_roff(f, help, S_NONE);
    fputs(".SH SEE ALSO\n", f);
    if (top) {
        /* mohur(1): every page */
        bool first = true;
        for (const struct mh_cli_cmd *g = top; g->name; g++) {
            if (!g->sub) {
                fprintf(f, "%s\\fBmohur\\-%s\\fR(1)", first ? "" : ",\n", g->name);
                first = false;
                continue;
            }
            for (const struct mh_cli_cmd *c = g->sub; c->name; c++) {
                fprintf(f, "%s\\fBmohur\\-%s\\-%s\\fR(1)", first ? "" : ",\n", g->name, c->name);
                first = false;
            }
        }
        fputc('\n', f);
    } else {
        fprintf(f, "\\fBmohur\\fR(1), \\fBmohur %s \\-\\-help\\fR\n", name);
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "mohur: %s could not be written\n", path);
        return MH_EXIT_INPUT;
    }
    return MH_EXIT_OK;
}

static int gen_man(const struct mh_cli_cmd *top, const char *dir, const char *top_help)
{
    int ret;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "mohur: %s cannot be made: %s\n", dir, strerror(errno));
        return MH_EXIT_INPUT;
    }
    if ((ret = write_page(dir, "mohur", "mohur",
                          "sign and verify public documents with keys on "
                          "tokens and HSMs",
                          top_help, NULL, top)) != 0)
        return ret;
    for (const struct mh_cli_cmd *g = top; g->name; g++) {
        const struct mh_cli_cmd *one = g->sub ? g->sub : g;
        for (const struct mh_cli_cmd *c = one; c->name; c++) {
            char file[128], name[96];
            if (g->sub) {
                snprintf(file, sizeof file, "mohur-%s-%s", g->name, c->name);
                snprintf(name, sizeof name, "%s %s", g->name, c->name);
            } else {
                snprintf(file, sizeof file, "mohur-%s", g->name);
                snprintf(name, sizeof name, "%s", g->name);
            }
            ret = write_page(dir, file, name, c->summary ? c->summary : g->summary, NULL, c->spec,
                             NULL);
            if (ret)
                return ret;
            if (!g->sub)
                break;
        }
    }
    return MH_EXIT_OK;
}

#define OPTS_MAX 2048

/* Adds a row's "--name" to the list (OPTS_MAX bytes). */
static int long_name(void *ctx, const struct mh_cli_opt *row, const char *left, const char *help)
{
    char *opts = ctx;
    size_t o = strlen(opts);
    (void)left;
    (void)help;
    snprintf(opts + o, OPTS_MAX - o, "%s--%s", o ? " " : "", row->name);
    return 0;
}

static int gen_bash(const struct mh_cli_cmd *top)
{
    printf("# bash completion for mohur; made by 'mohur --completion bash' from the\n"
           "# command table and each command's --help. Do not edit.\n"
           "_mohur() {\n"
           "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} key opts\n"
           "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
           "        COMPREPLY=($(compgen -W \"");
    for (const struct mh_cli_cmd *g = top; g->name; g++)
        printf("%s ", g->name);
    printf("help --help --version\" -- \"$cur\"))\n"
           "        return\n"
           "    fi\n"
           "    key=${COMP_WORDS[1]}\n"
           "    case \"$key\" in\n");
    for (const struct mh_cli_cmd *g = top; g->name; g++) {
        if (!g->sub)
            continue;
        printf("    %s)\n        if [ \"$COMP_CWORD\" -eq 2 ]; then\n"
               "            COMPREPLY=($(compgen -W \"",
               g->name);
        for (const struct mh_cli_cmd *c = g->sub; c->name; c++)
            printf("%s%s", c->name, c[1].name ? " " : "");
        printf("\" -- \"$cur\"))\n            return\n        fi\n"
               "        key=\"%s ${COMP_WORDS[2]}\" ;;\n",
               g->name);
    }
    printf(
        "    esac\n"
        "    case \"$prev\" in\n"
        "    --kind)\n"
        "        local d=${MOHUR_KINDS_DIR:-/usr/share/mohur/kinds} f k=\n"
        "        for f in \"$d\"/*.json; do [ -e \"$f\" ] && f=${f##*/} && k=\"$k ${f%%.json}\"; "
        "done\n"
        "        COMPREPLY=($(compgen -W \"$k\" -- \"$cur\"))\n"
        "        return ;;\n"
        "    --status)\n"
        "        COMPREPLY=($(compgen -W \"valid revoked voided any\" -- \"$cur\"))\n"
        "        return ;;\n"
        "    esac\n"
        "    if [[ $cur == -* ]]; then\n"
        "        case \"$key\" in\n");
    for (const struct mh_cli_cmd *g = top; g->name; g++) {
        const struct mh_cli_cmd *one = g->sub ? g->sub : g;
        for (const struct mh_cli_cmd *c = one; c->name; c++) {
            char name[96], opts[OPTS_MAX];
            if (g->sub)
                snprintf(name, sizeof name, "%s %s", g->name, c->name);
            else
                snprintf(name, sizeof name, "%s", g->name);
            opts[0] = '\0';
            mh_cli_each_opt(c->spec, long_name, opts);
            printf("        \"%s\") opts=\"%s\" ;;\n", name, opts);
            if (!g->sub)
                break;
        }
    }
    printf("        *) opts=\"--help\" ;;\n"
           "        esac\n"
           "        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
           "        return\n"
           "    fi\n"
           "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
           "}\n"
           "complete -o filenames -o bashdefault -F _mohur mohur\n");
    return fflush(stdout) == 0 ? MH_EXIT_OK : MH_EXIT_INPUT;
}

int mh_cli_generate(const struct mh_cli_cmd *top, const char *top_help, int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[0], "--man") == 0)
        return gen_man(top, argv[1], top_help);
    if (argc == 2 && strcmp(argv[0], "--completion") == 0 && strcmp(argv[1], "bash") == 0)
        return gen_bash(top);
    fprintf(stderr, "mohur: usage: mohur --man DIR | mohur --completion bash\n");
    return MH_EXIT_USAGE;
}
