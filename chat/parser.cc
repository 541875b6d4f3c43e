// The chat-script grammar (PEGTL 3.2) and the walk from PEGTL's parse tree to
// ast::Script, following includes. PEGTL types stay inside this file: a
// parse_error is turned into a Diagnostic here and never crosses the module's
// API. The insides of string and regex literals are string_literal.cc's;
// reading files is source_loader.cc's.
#include "chat/parser.h"

#include "chat/compiler.h"  // parse_duration
#include "chat/string_literal.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include <tao/pegtl.hpp>
#include <tao/pegtl/contrib/analyze.hpp>
#include <tao/pegtl/contrib/parse_tree.hpp>

namespace clusterd::chat {

namespace grammar {
namespace pegtl = tao::pegtl;
using namespace tao::pegtl;

// clang-format off
struct comment : seq<one<'#'>, until<eolf>> {};
struct skip : star<sor<ascii::space, comment>> {};

struct ident_first : ranges<'a', 'z', 'A', 'Z', '_'> {};
struct ident_other : ranges<'a', 'z', 'A', 'Z', '0', '9', '_'> {};
struct identifier : seq<ident_first, star<ident_other>> {};

template <typename Str> struct kw : seq<Str, not_at<ident_other>> {};
struct kw_include : kw<TAO_PEGTL_STRING("include")> {};
struct kw_param : kw<TAO_PEGTL_STRING("param")> {};
struct kw_var : kw<TAO_PEGTL_STRING("var")> {};
struct kw_pattern : kw<TAO_PEGTL_STRING("pattern")> {};
struct kw_unless : kw<TAO_PEGTL_STRING("unless")> {};
struct kw_initial : kw<TAO_PEGTL_STRING("initial")> {};
struct kw_state : kw<TAO_PEGTL_STRING("state")> {};
struct kw_extends : kw<TAO_PEGTL_STRING("extends")> {};
struct kw_on : kw<TAO_PEGTL_STRING("on")> {};
struct kw_after : kw<TAO_PEGTL_STRING("after")> {};
struct kw_send : kw<TAO_PEGTL_STRING("send")> {};
struct kw_boot : kw<TAO_PEGTL_STRING("boot")> {};
struct kw_secret : kw<TAO_PEGTL_STRING("secret")> {};
struct kw_break : kw<TAO_PEGTL_STRING("break")> {};
struct kw_alarm : kw<TAO_PEGTL_STRING("alarm")> {};
struct kw_exec : kw<TAO_PEGTL_STRING("exec")> {};
struct kw_log : kw<TAO_PEGTL_STRING("log")> {};
struct kw_set : kw<TAO_PEGTL_STRING("set")> {};
struct kw_mark : kw<TAO_PEGTL_STRING("mark")> {};
struct kw_fenced : kw<TAO_PEGTL_STRING("fenced")> {};
struct kw_presumed : kw<TAO_PEGTL_STRING("presumed")> {};
struct kw_takeover : kw<TAO_PEGTL_STRING("takeover")> {};
struct kw_power : kw<TAO_PEGTL_STRING("power")> {};
struct kw_lease : kw<TAO_PEGTL_STRING("lease")> {};

// Literals. Strings and regexes end on the line they start on.
struct str_char : sor<seq<one<'\\'>, not_one<'\n'>>, not_one<'"', '\\', '\n'>> {};
struct str_body : until<one<'"'>, str_char> {};
struct string_lit : seq<one<'"'>, must<str_body>> {};
struct re_char : sor<seq<one<'\\'>, not_one<'\n'>>, not_one<'/', '\\', '\n'>> {};
struct re_body : until<one<'/'>, re_char> {};
struct regex_lit : seq<one<'/'>, must<re_body>> {};
struct duration_unit : sor<string<'m', 's'>, one<'s', 'm', 'h'>> {};
struct duration_lit : seq<plus<plus<digit>, duration_unit>, not_at<ident_other>> {};
struct integer_lit : seq<opt<one<'-'>>, plus<digit>, not_at<ident_other>> {};
struct value : sor<string_lit, duration_lit, integer_lit> {};
struct text_arg : string_lit {};  // a string where one is required
struct param_ref : seq<one<'$'>, identifier> {};

struct decl_name : identifier {};
struct equals : one<'='> {};

// Patterns: `"lit" | /re/ … unless /re/ | …`, or the name of a `pattern`.
struct pattern_atom : sor<string_lit, regex_lit> {};
struct atom_arg : pattern_atom {};
struct more_atoms : star<skip, one<'|'>, skip, must<atom_arg>> {};
struct any_list : seq<pattern_atom, more_atoms> {};
struct unless_list : seq<kw_unless, skip, must<atom_arg>, more_atoms> {};
struct pattern_spec : seq<any_list, opt<skip, unless_list>> {};
struct pattern_ref : identifier {};
struct pattern_use : sor<pattern_spec, pattern_ref> {};
struct pattern_def : pattern_spec {};

// Actions.
struct channel_name : identifier {};
struct severity : identifier {};
struct power_op : identifier {};
struct var_name : identifier {};
struct secret_payload : seq<kw_secret, skip, must<text_arg>> {};
struct send_payload : sor<secret_payload, string_lit> {};
struct presumed : kw_presumed {};
struct kw_by : kw<TAO_PEGTL_STRING("by")> {};
struct by_power : kw_power {};
struct by_lease : kw_lease {};
struct fence_by : sor<by_power, by_lease> {};
struct by_what : seq<kw_by, skip, must<fence_by>> {};
struct a_send : seq<kw_send, skip, must<channel_name>, skip, must<send_payload>> {};
struct a_boot : seq<kw_boot, skip, must<channel_name>, skip, must<text_arg>> {};
struct a_break : seq<kw_break, skip, must<channel_name>> {};
struct a_alarm : seq<kw_alarm, skip, must<severity>, skip, must<text_arg>> {};
struct a_exec : seq<kw_exec, skip, must<text_arg>, star<skip, string_lit>> {};
struct a_log : seq<kw_log, skip, must<text_arg>> {};
struct a_set : seq<kw_set, skip, must<var_name>, skip, must<equals>, skip, must<value>> {};
struct a_mark : seq<kw_mark, skip, must<kw_fenced>, skip, must<channel_name>,
                      opt<skip, sor<presumed, by_what>>> {};
struct a_takeover : kw_takeover {};
struct a_power : seq<kw_power, skip, must<channel_name>, skip, must<power_op>> {};
struct action_kind : sor<a_send, a_boot, a_break, a_alarm, a_exec, a_log, a_set, a_mark, a_takeover, a_power> {};
struct action : seq<action_kind, opt<skip, one<';'>>> {};  // `;` between actions is optional

// Handlers.
struct block_end : one<'}'> {};
struct block : seq<one<'{'>, skip, star<action, skip>, must<block_end>> {};
struct target : sor<seq<one<'$'>, identifier>, identifier> {};  // a state, or a string param naming one
struct arrow : seq<string<'-', '>'>, skip, must<target>> {};
struct event_name : seq<identifier, plus<one<'.'>, identifier>> {};
struct event_arg : sor<kw<TAO_PEGTL_STRING("active")>, kw<TAO_PEGTL_STRING("standby")>, integer_lit> {};
struct event_trigger : seq<event_name, opt<skip, event_arg>> {};
struct trigger_channel : identifier {};
struct channel_trigger : seq<trigger_channel, skip, must<pattern_use>> {};
struct on_trigger : sor<event_trigger, channel_trigger> {};
struct after_expr : sor<duration_lit, param_ref> {};
struct on_handler : seq<kw_on, skip, must<on_trigger>, opt<skip, block>, opt<skip, arrow>> {};
struct after_handler : seq<kw_after, skip, must<after_expr>, opt<skip, block>, opt<skip, arrow>> {};

// Declarations.
struct state_end : one<'}'> {};
struct state_open : one<'{'> {};
struct state_item : sor<on_handler, after_handler, action> {};
struct initial_mark : kw_initial {};
struct parent_name : identifier {};
struct extends_clause : seq<kw_extends, skip, must<parent_name>, skip> {};
struct state_decl : seq<opt<initial_mark, skip>, kw_state, skip, must<decl_name>, skip,
                        opt<extends_clause>, must<state_open>, skip, star<state_item, skip>,
                        must<state_end>> {};
struct include_decl : seq<kw_include, skip, must<text_arg>> {};
struct param_decl : seq<kw_param, skip, must<decl_name>, skip, must<equals>, skip, must<value>> {};
struct var_decl : seq<kw_var, skip, must<decl_name>, skip, must<equals>, skip, must<value>> {};
struct pattern_decl : seq<kw_pattern, skip, must<decl_name>, skip, must<equals>, skip,
                          must<pattern_def>> {};
struct decl : sor<include_decl, param_decl, var_decl, pattern_decl, state_decl> {};
struct script_end : eof {};
struct script : seq<skip, star<decl, skip>, must<script_end>> {};
// clang-format on

template <typename>
inline constexpr const char* message = nullptr;
template <>
inline constexpr auto message<str_body> = "unterminated string (a string ends on its line)";
template <>
inline constexpr auto message<re_body> = "unterminated regex (a regex ends on its line)";
template <>
inline constexpr auto message<atom_arg> = "expected a pattern: \"literal\" or /regex/";
template <>
inline constexpr auto message<pattern_def> = "expected a pattern: \"literal\" or /regex/";
template <>
inline constexpr auto message<pattern_use> =
    "expected a pattern (\"literal\", /regex/ or a pattern name)";
template <>
inline constexpr auto message<channel_name> = "expected a channel (active, standby)";
template <>
inline constexpr auto message<send_payload> =
    "expected the text to send: \"string\" or secret \"name\"";
template <>
inline constexpr auto message<severity> = "expected a severity (notice, warning, critical)";
template <>
inline constexpr auto message<text_arg> = "expected a \"string\"";
template <>
inline constexpr auto message<var_name> = "expected a variable name";
template <>
inline constexpr auto message<equals> = "expected '='";
template <>
inline constexpr auto message<value> =
    "expected a value: \"string\", integer or duration (250ms, 20s, 10m, 1h)";
template <>
inline constexpr auto message<kw_fenced> = "expected 'fenced' after 'mark'";
template <>
inline constexpr auto message<power_op> = "expected off, on or cycle";
template <>
inline constexpr auto message<fence_by> =
    "expected 'power' or 'lease' after 'by' (mark fenced CH by power|lease)";
template <>
inline constexpr auto message<block_end> =
    "expected an action (send, boot, break, alarm, exec, log, set, mark, takeover, power) or '}'";
template <>
inline constexpr auto message<target> = "expected a state name (or $param) after '->'";
template <>
inline constexpr auto message<on_trigger> =
    "expected an event (ping.down, …) or a channel and a pattern after 'on'";
template <>
inline constexpr auto message<after_expr> =
    "expected a duration (250ms, 20s, 10m, 1h) or a $param after 'after'";
template <>
inline constexpr auto message<decl_name> = "expected a name";
template <>
inline constexpr auto message<state_open> = "expected '{' to open the state";
template <>
inline constexpr auto message<parent_name> = "expected the name of the state to extend";
template <>
inline constexpr auto message<state_end> =
    "expected an action, a handler ('on', 'after') or '}' to close the state";
template <>
inline constexpr auto message<script_end> =
    "expected a declaration: state, initial state, param, var, pattern or include";

struct errors {
  template <typename Rule>
  static constexpr auto message = grammar::message<Rule>;
};
template <typename Rule>
using control = must_if<errors>::control<Rule>;

template <typename Rule>
using selector = parse_tree::selector<
    Rule, parse_tree::store_content::on<
              include_decl, param_decl, var_decl, pattern_decl, state_decl, initial_mark, decl_name,
              parent_name, string_lit, text_arg, trigger_channel, regex_lit, duration_lit,
              integer_lit, param_ref, any_list, unless_list, pattern_ref, channel_name, severity,
              power_op, var_name, secret_payload, presumed, by_power, by_lease, a_send, a_boot,
              a_break, a_alarm, a_exec, a_log, a_set, a_mark, a_takeover, a_power, target,
              event_name, event_arg, on_handler, after_handler>>;

}  // namespace grammar

namespace {

namespace pegtl = tao::pegtl;
using Node = pegtl::parse_tree::node;

// Turns PEGTL parse trees into AST declarations, one file at a time, and
// follows includes depth-first so declarations keep source order.
class Builder {
 public:
  Builder(SourceLoader* loader, ParseResult& out) : loader_(loader), out_(out) {}

  void parse(const std::string& path, std::string text) {
    if (std::find(stack_.begin(), stack_.end(), path) != stack_.end())
      return;  // reported by caller
    stack_.push_back(path);
    seen_.insert(path);
    out_.script.sources.emplace_back(path, std::move(text));
    // sources may grow while we recurse: keep our own copy of the text alive.
    const std::string src = out_.script.sources.back().second;
    pegtl::memory_input in(src, path);
    try {
      auto root = pegtl::parse_tree::parse<grammar::script, grammar::selector, pegtl::nothing,
                                           grammar::control>(in);
      if (root) {
        for (auto& child : root->children) decl(*child, path);
      }
    } catch (const pegtl::parse_error& e) {
      const auto& pos = e.positions().front();
      error({pos.source, static_cast<int>(pos.line), static_cast<int>(pos.column)},
            std::string(e.message()));
    }
    stack_.pop_back();
  }

 private:
  void error(Loc loc, std::string msg) {
    out_.diagnostics.push_back({std::move(loc), Severity::Error, std::move(msg), {}});
  }

  static Loc loc_of(const Node& n) {
    auto p = n.begin();
    return {p.source, static_cast<int>(p.line), static_cast<int>(p.column)};
  }
  static ast::Name name_of(const Node& n) { return {n.string(), loc_of(n)}; }

  void decl(const Node& n, const std::string& path) {
    if (n.is_type<grammar::include_decl>()) {
      include(n, path);
    } else if (n.is_type<grammar::param_decl>() || n.is_type<grammar::var_decl>()) {
      ast::ValueDecl d;
      d.is_var = n.is_type<grammar::var_decl>();
      d.name = name_of(*n.children.at(0));
      d.value = value(*n.children.at(1));
      out_.script.values.push_back(std::move(d));
    } else if (n.is_type<grammar::pattern_decl>()) {
      ast::PatternDecl d;
      d.name = name_of(*n.children.at(0));
      for (std::size_t i = 1; i < n.children.size(); ++i) add_atoms(*n.children[i], d.spec);
      out_.script.patterns.push_back(std::move(d));
    } else if (n.is_type<grammar::state_decl>()) {
      state(n);
    }
  }

  void include(const Node& n, const std::string& path) {
    const Node& lit = *n.children.at(0);
    ast::Text t = text(lit);
    std::string rel;
    for (const auto& s : t.segments) rel += s.text;
    std::string full = rel;
    if (!rel.empty() && rel[0] != '/') {
      auto slash = path.rfind('/');
      if (slash != std::string::npos) full = path.substr(0, slash + 1) + rel;
    }
    if (std::find(stack_.begin(), stack_.end(), full) != stack_.end()) {
      std::string chain;
      for (const auto& f : stack_) chain += f + " -> ";
      error(loc_of(n), "include cycle: " + chain + full);
      return;
    }
    if (seen_.count(full)) return;  // every file once
    if (!loader_) {
      error(loc_of(lit), "cannot include \"" + rel + "\" here");
      return;
    }
    auto loaded = loader_->load(full);
    if (!loaded) {
      error(loc_of(lit), "cannot include \"" + rel + "\": " + loaded.error().message);
      return;
    }
    parse(full, std::move(*loaded));
  }

  void state(const Node& n) {
    ast::StateDecl s;
    std::size_t i = 0;
    if (n.children.at(0)->is_type<grammar::initial_mark>()) {
      s.initial = true;
      ++i;
    }
    s.name = name_of(*n.children.at(i++));
    if (i < n.children.size() && n.children[i]->is_type<grammar::parent_name>()) {
      s.parent = name_of(*n.children[i++]);
    }
    for (; i < n.children.size(); ++i) {
      const Node& c = *n.children[i];
      if (c.is_type<grammar::on_handler>() || c.is_type<grammar::after_handler>()) {
        s.handlers.push_back(handler(c));
      } else {
        s.entry.push_back(action(c));
      }
    }
    out_.script.states.push_back(std::move(s));
  }

  ast::Handler handler(const Node& n) {
    ast::Handler h;
    h.loc = loc_of(n);
    std::size_t i = 0;
    if (n.is_type<grammar::after_handler>()) {
      h.kind = ast::Handler::Kind::After;
      const Node& e = *n.children.at(i++);
      h.after.loc = loc_of(e);
      if (e.is_type<grammar::duration_lit>()) {
        h.after.literal = duration(e);
      } else {
        h.after.param = {e.string().substr(1), loc_of(e)};
      }
    } else if (n.children.at(0)->is_type<grammar::event_name>()) {
      h.kind = ast::Handler::Kind::Event;
      h.event = name_of(*n.children.at(i++));
      if (i < n.children.size() && n.children[i]->is_type<grammar::event_arg>()) {
        h.event_arg = name_of(*n.children[i++]);
      }
    } else {
      h.kind = ast::Handler::Kind::Pattern;
      h.channel = name_of(*n.children.at(i++));
      const Node& p = *n.children.at(i);
      if (p.is_type<grammar::pattern_ref>()) {
        h.pattern_ref = name_of(p);
        ++i;
      } else {
        while (i < n.children.size() && (n.children[i]->is_type<grammar::any_list>() ||
                                         n.children[i]->is_type<grammar::unless_list>())) {
          add_atoms(*n.children[i++], h.pattern);
        }
      }
    }
    for (; i < n.children.size(); ++i) {
      const Node& c = *n.children[i];
      if (c.is_type<grammar::target>()) {
        h.target = name_of(c);
      } else {
        h.actions.push_back(action(c));
      }
    }
    return h;
  }

  ast::Action action(const Node& n) {
    using K = ast::Action::Kind;
    ast::Action a;
    a.loc = loc_of(n);
    const auto& ch = n.children;
    if (n.is_type<grammar::a_send>()) {
      a.channel = name_of(*ch.at(0));
      const Node& payload = *ch.at(1);
      if (payload.is_type<grammar::secret_payload>()) {
        a.kind = K::SendSecret;
        a.text = text(*payload.children.at(0));
      } else {
        a.kind = K::Send;
        a.text = text(payload);
      }
    } else if (n.is_type<grammar::a_boot>()) {
      a.kind = K::Boot;
      a.channel = name_of(*ch.at(0));
      a.text = text(*ch.at(1));
    } else if (n.is_type<grammar::a_break>()) {
      a.kind = K::Break;
      a.channel = name_of(*ch.at(0));
    } else if (n.is_type<grammar::a_alarm>()) {
      a.kind = K::Alarm;
      a.word = name_of(*ch.at(0));
      a.text = text(*ch.at(1));
    } else if (n.is_type<grammar::a_exec>()) {
      a.kind = K::Exec;
      for (const auto& c : ch) a.args.push_back(text(*c));
    } else if (n.is_type<grammar::a_log>()) {
      a.kind = K::Log;
      a.text = text(*ch.at(0));
    } else if (n.is_type<grammar::a_set>()) {
      a.kind = K::Set;
      a.word = name_of(*ch.at(0));
      a.value = value(*ch.at(1));
    } else if (n.is_type<grammar::a_mark>()) {
      a.kind = K::MarkFenced;
      a.channel = name_of(*ch.at(0));
      if (ch.size() > 1) {
        a.presumed = ch.at(1)->is_type<grammar::presumed>();
        a.by_power = ch.at(1)->is_type<grammar::by_power>();
        a.by_lease = ch.at(1)->is_type<grammar::by_lease>();
      }
    } else if (n.is_type<grammar::a_takeover>()) {
      a.kind = K::Takeover;
    } else if (n.is_type<grammar::a_power>()) {
      a.kind = K::Power;
      a.channel = name_of(*ch.at(0));
      a.word = name_of(*ch.at(1));
    }
    return a;
  }

  void add_atoms(const Node& list, ast::PatternSpec& spec) {
    auto& dst = list.is_type<grammar::unless_list>() ? spec.unless : spec.any;
    for (const auto& c : list.children) {
      ast::PatternAtom atom;
      atom.loc = loc_of(*c);
      std::string_view body = c->string_view();
      body = body.substr(1, body.size() - 2);
      if (c->is_type<grammar::regex_lit>()) {
        atom.regex = true;
        atom.source = decode_regex(body);
      } else {
        // A literal pattern has no variables: `$` is just a dollar sign.
        atom.source =
            flatten(decode_string(body, atom.loc, /*interpolate=*/false, out_.diagnostics));
      }
      dst.push_back(std::move(atom));
    }
  }

  static std::string flatten(const ast::Text& t) {
    std::string s;
    for (const auto& seg : t.segments) s += seg.text;
    return s;
  }

  ast::Value value(const Node& n) {
    ast::Value v;
    v.loc = loc_of(n);
    if (n.is_type<grammar::string_lit>()) {
      v.kind = ast::Value::Kind::String;
      v.text = text(n);
    } else if (n.is_type<grammar::duration_lit>()) {
      v.kind = ast::Value::Kind::Interval;
      v.duration = duration(n);
    } else {
      v.kind = ast::Value::Kind::Integer;
      // The grammar guarantees `-?[0-9]+`; only the range can be wrong.
      const std::string_view s = n.string_view();
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v.integer);
      if (ec != std::errc() || end != s.data() + s.size()) {
        v.integer = 0;
        error(v.loc, "integer out of range: " + n.string());
      }
    }
    return v;
  }

  Duration duration(const Node& n) {
    auto d = parse_duration(n.string_view());
    if (!d) error(loc_of(n), "duration out of range (at most 10000h): " + n.string());
    return d.value_or(Duration{});
  }

  ast::Text text(const Node& n) {
    std::string_view body = n.string_view();
    return decode_string(body.substr(1, body.size() - 2), loc_of(n), /*interpolate=*/true,
                         out_.diagnostics);
  }

  SourceLoader* loader_;
  ParseResult& out_;
  std::vector<std::string> stack_;
  std::set<std::string> seen_;
};

}  // namespace

ParseResult parse_text(std::string_view text, const std::string& name, SourceLoader* loader) {
  ParseResult out;
  Builder b(loader, out);
  b.parse(name, std::string(text));
  return out;
}

ParseResult parse_file(const std::string& path, SourceLoader& loader) {
  ParseResult out;
  auto text = loader.load(path);
  if (!text) {
    out.diagnostics.push_back({{path, 0, 0}, Severity::Error, text.error().message, {}});
    out.unreadable = true;
    return out;
  }
  Builder b(&loader, out);
  b.parse(path, std::move(*text));
  return out;
}

std::size_t analyze_grammar() { return tao::pegtl::analyze<grammar::script>(); }

void attach_source_lines(Diagnostics& ds, const ast::Script& script) {
  // Where each line starts, per source, found once (a script with thousands
  // of errors must not be scanned from the top for each).
  std::map<std::string_view, std::pair<std::string_view, std::vector<std::size_t>>> lines;
  for (auto& d : ds) {
    if (d.loc.line <= 0 || !d.source_line.empty()) continue;
    auto it = lines.find(d.loc.file);
    if (it == lines.end()) {
      const std::string* text = nullptr;
      for (const auto& [path, t] : script.sources) {
        if (path == d.loc.file) {
          text = &t;
          break;
        }
      }
      if (!text) continue;
      std::vector<std::size_t> starts{0};
      for (auto pos = text->find('\n'); pos != std::string::npos; pos = text->find('\n', pos + 1)) {
        starts.push_back(pos + 1);
      }
      it = lines.emplace(d.loc.file, std::pair(std::string_view(*text), std::move(starts))).first;
    }
    const auto& [text, starts] = it->second;
    const auto l = static_cast<std::size_t>(d.loc.line);
    if (l > starts.size()) continue;
    const std::size_t pos = starts[l - 1];
    auto end = text.find('\n', pos);
    d.source_line = std::string(
        text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
    if (!d.source_line.empty() && d.source_line.back() == '\r') d.source_line.pop_back();
  }
}

}  // namespace clusterd::chat
