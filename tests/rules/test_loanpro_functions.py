"""Issue 16, "Functions": let, some and every?, clojure.string's text functions (and their str/ alias), and
re-find, re-matches and clojure.string/split on RE2 (linear time), each with Clojure's semantics, typed when the
rule is saved, and compiled once to the rule's own function (docs/rules.md#functions)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from lms.rules import RuleError, compile_rule, runtime, strings, validate
from lms.rules.literals import label_literals
from tests.rules import reference as ref
from tests.rules.test_functions import context, value

D = Decimal


def errors(text: str, **options) -> list[tuple[str, int, int]]:
    result = validate(text, criteria=False, **options)
    assert not result.valid, text
    return [(e.code, e.line, e.column) for e in result.errors]


def _first_error(text: str, code: str, line: int, column: int, says: str) -> None:
    """The text is refused, first with this error at this place."""
    result = validate(text, criteria=False)
    assert not result.valid
    first = result.errors[0]
    assert (first.code, first.line, first.column) == (code, line, column), result.errors
    assert says in first.message


def only_error(text: str, **options) -> RuleError:
    result = validate(text, criteria=False, **options)
    assert not result.valid and len(result.errors) == 1, result.errors
    return result.errors[0]


# ---------------------------------------------------------------- let


@pytest.mark.parametrize(
    "text, expected",
    [
        ("(let [x 1 y (inc x)] (+ x y))", 3),  # later bindings see earlier ones
        ("(let [x 1 x (inc x)] x)", 2),  # a later binding may rebind an earlier name, as in Clojure
        ("(let [x 1] (+ (let [x 10] x) x))", 11),  # an inner let hides an outer name only inside it
        ("(let [] true)", True),
        ('(let [p portfolios] (contains? p "Auto"))', True),  # a set keeps its elements' type
        ("(let [b status-delinquent-bucket-balance] (get-in b [1 :days-past-due]))", 45),
        ("(let [fees status-due-fees] (and (pos? fees) (= (dec (inc fees)) fees)))", True),
        ("(let [n setup-loan-term] (and (even? n) (not (odd? n)) (not (zero? n)) (not (neg? n))))", True),
        ("(let [m customer.primary] (-> m :status))", "Active"),
        ("(let [a 0.1 b 0.2] (+ a b))", D("0.3")),  # money stays exact
    ],
)
def test_let_binds_in_order_with_clojure_semantics(text, expected):
    got = value(text)
    assert got == expected and type(got) is type(expected)


def test_let_names_carry_the_type_of_their_value_into_type_errors():
    """(let [s loan-status] (> s 1)): s is text, and the error is at s in the body, line 2 column 6."""
    error = only_error("(let [s loan-status]\n  (> s 1))")
    assert (error.code, error.line, error.column) == ("type", 2, 6)
    assert error.message == "s is text; > needs numbers or dates"


def test_a_let_criteria_must_still_give_true_or_false():
    assert validate("(let [d status-days-past-due] (> d 30))").valid
    assert [e.code for e in validate("(let [d status-days-past-due] d)").errors] == ["not-boolean"]


def test_let_evaluates_every_binding_even_an_unused_one():
    """Clojure evaluates each binding: an unused one that fails still fails the rule."""
    outcome = compile_rule("(let [x (/ 1 status-due-fees)] true)").run(context(**{"status-due-fees": D("0.00")}))
    assert outcome.matched is False and outcome.error == "division by zero"


def test_a_let_name_is_not_seen_outside_its_let():
    assert errors("(and (let [x 1] true) (= x 1))") == [("unknown-name", 1, 26)]


def test_let_reads_the_variables_of_its_values_and_body():
    assert compile_rule("(let [d status-days-past-due] (> d setup-grace-days))").variables == (
        "status-days-past-due",
        "setup-grace-days",
    )


@pytest.mark.parametrize(
    "text, code, line, column, says",
    [
        (
            '(let [loan-status "Open"] true)',
            "not-allowed",
            1,
            7,
            "loan-status is a variable: a let name cannot hide it",
        ),
        ("(let [x 1\n      count 2] true)", "not-allowed", 2, 7, "count is a function: a let name cannot hide it"),
        ("(let [str/trim 1] true)", "not-allowed", 1, 7, "str/trim is a function"),
        ("(let [nil 1] true)", "not-allowed", 1, 7, "nil is a literal"),
        ("(let [customer.primary.x 1] true)", "not-allowed", 1, 7, "has no . or /"),
        ("(let [[a b] [1 2]] true)", "not-allowed", 1, 7, "destructuring is not part of the rule language"),
        ("(let [:a 1] true)", "not-allowed", 1, 7, "a let name is a plain name"),
        ("(let [x 1 y] true)", "arity", 1, 11, "this name has no value"),
        ("(let [x 1])", "arity", 1, 1, "got 0 expressions"),
        ("(let [x 1] x x)", "arity", 1, 1, "got 2 expressions"),
        ("(let x 1)", "not-allowed", 1, 6, "let takes a vector of names and values"),
        ("(let [x 1] (x))", "not-allowed", 1, 13, "x is a let name, not a function"),
        ("(let [x y] true)", "unknown-name", 1, 9, "unknown variable y"),
        ("(let [x x] true)", "unknown-name", 1, 9, "unknown variable x"),  # a value does not see its own name
    ],
)
def test_let_refusals_are_located_at_the_binding(text, code, line, column, says):
    _first_error(text, code, line, column, says)


def test_a_refused_let_name_adds_no_second_error_where_it_is_used():
    assert errors("(let [count 1] (+ count 1))") == [("not-allowed", 1, 7)]


# ---------------------------------------------------------------- some and every?


@pytest.mark.parametrize(
    "text, expected",
    [
        ('(some #{"Collections" "SCRA"} portfolios)', "Collections"),
        ('(some #{"SCRA"} portfolios)', None),
        ('(some #{"b" "a"} ["c" "b" "a"])', "b"),  # a vector is walked in order: the first element found
        ('(some #{"b" "a"} #{"c" "b" "a"})', "a"),  # a set in the order str prints it
        ('(every? #{"Auto" "Collections"} portfolios)', True),
        ('(every? #{"Auto"} portfolios)', False),
        ("(every? #{false} [false])", False),  # the set gives the element, false: not truthy
        ("(some #{nil false} [nil false])", None),
        ("(some pos? [-1 0 2 nil])", True),  # stops at the first truthy result: nil is never tested
        ("(every? pos? [1 -1 nil])", False),  # stops at the first falsy result
        ("(some inc [1 2])", 2),  # the predicate's result itself, as Clojure's some
        ("(some even? [])", None),
        ("(every? even? [])", True),
        ('(some clojure.string/blank? ["a" "  "])', True),
        ('(every? str/blank? ["" " "])', True),
        ('(some v/parse-int ["x" "12"])', 12),
        ('(some #{"Active"} customer-statuses)', "Active"),
        ('(every? #{"Active" "SCRA"} customer-statuses)', True),
        ('(some #{"ID verified"} checklist)', "ID verified"),
        ("(let [s #{2 3}] (some s [1 2 3]))", 2),  # a set held by a let name
        ('(some #{"42"} (clojure.string/split "1,42" #","))', "42"),
        ('(every? #{""} (custom-field "Missing"))', True),  # nil has no elements
    ],
)
def test_some_and_every_follow_clojure(text, expected):
    got = value(text)
    assert got == expected and type(got) is type(expected)


def test_a_set_is_walked_in_the_same_order_in_every_process():
    """Python orders a set of texts by hashes that change between processes; some walks it as str prints it."""
    rule = compile_rule('(some #{"Auto" "Collections"} portfolios)', criteria=False)
    for portfolios in (frozenset({"Collections", "Auto"}), frozenset({"Auto", "Collections"})):
        assert rule.value(context(portfolios=portfolios)) == "Auto"
    assert strings.elements(frozenset({"b", "a", "c"}), "some") == ["a", "b", "c"]


def test_an_element_the_predicate_cannot_take_is_a_runtime_error():
    outcome = compile_rule("(every? pos? [1 nil])").run(context())
    assert outcome.matched is False and outcome.error


@pytest.mark.parametrize(
    "fields, expected",
    [({"Tags": None}, None), ({"Tags": 5}, "error"), ({"Tags": "abc"}, "error")],
)
def test_a_custom_field_collection_is_checked_when_the_rule_runs(fields, expected):
    rule = compile_rule('(some pos? (custom-field "Tags"))', criteria=False)
    if expected == "error":
        with pytest.raises(runtime.RuleRuntimeError):
            rule.value(context(**{"custom-fields": fields}))
    else:
        assert rule.value(context(**{"custom-fields": fields})) is expected


def test_a_custom_field_predicate_must_be_a_set_when_an_element_is_tested():
    rule = compile_rule('(some (custom-field "P") [1])', criteria=False)
    with pytest.raises(runtime.RuleRuntimeError, match="not a set"):
        rule.value(context(**{"custom-fields": {"P": "x"}}))
    assert compile_rule('(some (custom-field "P") [])', criteria=False).value(context()) is None  # never called


@pytest.mark.parametrize(
    "text, code, line, column, says",
    [
        ("(every? pos? portfolios)", "type", 1, 14, "each element of portfolios is text; pos? needs a number"),
        ("(some #{1 2} portfolios)", "type", 1, 7, "would always be nil"),
        ('(some pos? "abc")', "type", 1, 12, "some needs a vector or a set"),
        ("(some pos? customer.primary)", "type", 1, 12, "some needs a vector or a set"),
        ("(some pos? nil)", "type", 1, 12, "some needs a vector or a set"),
        ("(some loan-status [1])", "type", 1, 7, "loan-status is text; some needs a function name"),
        ("(some (fn [x] x) [1])", "not-allowed", 1, 8, "fn is not part of the rule language"),
        ("(some and [true])", "not-allowed", 1, 7, "and is not a function some can call"),
        ("(every? if [true])", "not-allowed", 1, 9, "if is not a function every? can call"),
        ('(some re-find ["a"])', "not-allowed", 1, 7, "re-find is not a function some can call"),
        ('(some subs ["a"])', "arity", 1, 7, "subs takes 2 to 3 arguments; some calls it with one value"),
        ("(some pos?)", "arity", 1, 1, "some takes a predicate and a collection, got 1 argument"),
        ("(some nope? [1])", "unknown-name", 1, 7, "unknown variable nope?"),
    ],
)
def test_some_and_every_refusals(text, code, line, column, says):
    _first_error(text, code, line, column, says)


def test_an_anonymous_function_is_refused_before_reading():
    assert [e.code for e in validate("(some #(pos? %) [1])").errors] == ["dispatch"]


def test_a_label_literal_in_some_is_checked_against_the_tenants_labels():
    found = label_literals('(some #{"Colections" "SCRA"} portfolios)')
    assert [(f.variable, f.title, f.column) for f in found] == [
        ("portfolios", "Colections", 9),
        ("portfolios", "SCRA", 22),
    ]


# ---------------------------------------------------------------- clojure.string


STRING_CASES = [
    ("lower-case", '"ÀB"', "àb"),
    ("upper-case", '"straße"', "STRASSE"),
    ("capitalize", '"pAST dUE"', "Past due"),
    ("capitalize", '""', ""),
    ("reverse", '"a😀b"', "b😀a"),  # by characters: the emoji stays whole
    ("trim", '"\\u2003 a\\tb \\n"', "a\tb"),  # an em space is whitespace for Java
    ("trim", '"\\u00a0a\\u00a0"', "\xa0a\xa0"),  # a no-break space is not (Character.isWhitespace)
    ("trim", '"\\u0085a"', "\x85a"),  # nor NEL, which Python's strip() would take
    ("triml", '" a "', "a "),
    ("trimr", '" a "', " a"),
    ("blank?", '"\\u2028\\t"', True),
    ("blank?", '"\\u00a0"', False),
    ("blank?", "nil", True),
]


@pytest.mark.parametrize("name, argument, expected", STRING_CASES)
def test_clojure_string_functions_and_their_str_alias(name, argument, expected):
    for prefix in ("clojure.string/", "str/"):
        got = value(f"({prefix}{name} {argument})")
        assert got == expected and type(got) is type(expected), prefix


def test_javas_whitespace_is_what_the_reference_spells_out():
    assert set(strings.WHITESPACE) == ref.JAVA_WHITESPACE


@pytest.mark.parametrize(
    "text, expected",
    [
        ('(clojure.string/replace "a.b.c" "." "-")', "a-b-c"),  # the text to find is literal, not a regex
        ('(clojure.string/replace "aaa" "aa" "b")', "ba"),
        ('(str/replace "" "" "x")', "x"),
        ('(clojure.string/join "-" [1 2.50 nil "x" :k])', "1-2.50--x-:k"),
        ("(clojure.string/join [])", ""),
        ('(clojure.string/join "," (custom-field "Missing"))', ""),
        ('(clojure.string/join " & " customer-statuses)', "Active & SCRA"),
        ('(clojure.string/index-of "abc" "")', 0),
        ('(clojure.string/index-of "abc" "" 10)', 3),  # Java: from beyond the end, the empty text is at the end
        ('(clojure.string/index-of "abc" "a" -5)', 0),
        ('(clojure.string/index-of "abc" "c" 10)', None),
        ('(clojure.string/index-of "😀a" "a")', 1),  # positions count characters, as subs and count
        ('(clojure.string/last-index-of "abcabc" "abc" 2)', 0),
        ('(clojure.string/last-index-of "abc" "a" -1)', None),
        ('(clojure.string/last-index-of "abc" "" 10)', 3),
        ('(clojure.string/split "a,b" #"x")', ("a,b",)),
        ('(clojure.string/split "" #",")', ("",)),
        ('(clojure.string/split "," #",")', ()),
        ('(clojure.string/split "abc" #"")', ("a", "b", "c")),  # no empty first part for a zero-width match
        ('(clojure.string/split "a,b,," #"," -1)', ("a", "b", "", "")),
        ('(clojure.string/split "a,b,c" #"," 2)', ("a", "b,c")),
        ('(clojure.string/split " a  b " #" +")', ("", "a", "b")),
        ('(clojure.string/split-lines "")', ("",)),
        ('(count (clojure.string/split-lines "a\\nb"))', 2),
        ('(upper-case (clojure.string/trim " open "))', "OPEN"),  # the unprefixed functions still work
        ('(str/lower-case (str loan-status "!"))', "open!"),  # str/ next to str
    ],
)
def test_clojure_string_edge_cases(text, expected):
    got = value(text)
    assert got == expected and type(got) is type(expected)


def test_replace_and_join_cannot_grow_text_past_the_limit():
    outcome = compile_rule(
        '(= (clojure.string/replace (clojure.string/replace "' + "x" * 200 + '" "" "' + "y" * 100 + '") "" "z") "")'
    ).run(context())
    assert outcome.matched is False and outcome.error == "text longer than 10,000 characters"


@pytest.mark.parametrize(
    "text, code, line, column, says",
    [
        ("(clojure.string/trim 1)", "type", 1, 22, "1 is a whole number; clojure.string/trim needs text"),
        ("(str/trim\n  status-payoff)", "type", 2, 3, "status-payoff is a number; str/trim needs text"),
        ('(clojure.string/join ", " "abc")', "type", 1, 27, "clojure.string/join needs a vector or a set"),
        ('(clojure.string/index-of "a" "b" "1")', "type", 1, 34, "needs a whole number"),
        ('(clojure.string/replace "a" #"a" "b")', "not-allowed", 1, 29, "regex"),
        ('(clojure.string/replace "a" "b")', "arity", 1, 2, "takes 3 arguments, got 2"),
        ('(clojure.string/split "a" ",")', "type", 1, 27, 'needs a regex literal written in place, like #"^7[0-9]"'),
        ('(clojure.string/trimm "a")', "unknown-name", 1, 2, "unknown function clojure.string/trimm"),
        ('(str/trimm "a")', "unknown-name", 1, 2, "unknown function str/trimm"),
        ("(= str/trim 1)", "not-allowed", 1, 4, "str/trim is a function: call it as (str/trim ...)"),
    ],
)
def test_clojure_string_refusals(text, code, line, column, says):
    _first_error(text, code, line, column, says)


def test_an_unknown_text_function_suggests_the_clojure_string_one():
    assert only_error('(trim "a")').hint == "did you mean clojure.string/trim?"
    assert only_error('(clojure.string/trimm "a")').hint == "did you mean clojure.string/trim?"


# ---------------------------------------------------------------- regexes


def test_re2_is_the_engine_and_each_pattern_is_compiled_once_when_the_rule_is():
    rule = compile_rule('(boolean (re-find #"^7[0-9]" credit-status))')
    patterns = [v for v in rule.test.__globals__.values() if type(v).__module__ == "re2"]
    assert len(patterns) == 1 and patterns[0].pattern == "^7[0-9]"
    assert compile_rule('(boolean (re-find #"^7[0-9]" credit-status))') is rule  # one compilation per text


@pytest.mark.parametrize(
    "pattern, text",
    [
        ("(a+)+$", "a" * 100_000 + "!"),
        ("(x+x+)+y", "x" * 100_000),
        ("(a|aa)+$", "a" * 50_000 + "b"),
        ("(.*a){20}", "a" * 30),
    ],
)
def test_a_pathological_pattern_runs_in_linear_time_with_the_right_answer(pattern, text):
    """A backtracking engine takes exponential time on these; RE2 answers at once (correctness is asserted,
    not the time: the test would simply never end with a backtracking engine)."""
    rule = compile_rule(f'(re-find #"{pattern}" (custom-field "Text"))', criteria=False)
    expected = "a" * 30 if pattern == "(.*a){20}" else None
    got = rule.value(context(**{"custom-fields": {"Text": text}}))
    assert (got if not isinstance(got, tuple) else got[0]) == expected


def test_a_search_is_held_to_a_bounded_amount_of_work():
    """(\\w+\\s?){150} does not fit RE2's DFA in the memory a pattern has, so RE2 falls back to a search that
    costs text length x program size: a text too long for such a pattern is a run-time error, not a slow rule."""
    rule = compile_rule('(boolean (re-find #"(\\w+\\s?){150}x" (custom-field "Text")))')
    short = rule.run(context(**{"custom-fields": {"Text": "ab " * 100}}))
    assert (short.matched, short.error) == (False, None)
    long = rule.run(context(**{"custom-fields": {"Text": "ab " * 1000}}))
    assert long.matched is False and long.error is not None
    assert "re-find: a text of 3,000 characters is too long for this regex (at most 1,328" in long.error


@pytest.mark.parametrize(
    "pattern, says",
    [
        ("\\C", "\\C (any byte) splits characters"),
        ("a\\\\\\C", "\\C (any byte) splits characters"),  # an escaped backslash, then \C
        (".{700}x", "this regex is too large: 5,605 steps to RE2, at most 5,000"),
    ],
)
def test_patterns_that_split_characters_or_are_too_large_are_refused(pattern, says):
    error = only_error(f'(boolean (re-find #"{pattern}" loan-status))')
    assert (error.code, error.column) == ("literal", 19) and says in error.message


def test_an_escaped_backslash_before_c_is_a_pattern_like_any_other():
    assert (
        compile_rule('(boolean (re-find #"\\\\C" (custom-field "Text")))')
        .run(context(**{"custom-fields": {"Text": "a\\Cb"}}))
        .matched
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ('(re-find #"\\d+" "ab12cd345")', "12"),
        ('(re-find #"(\\d+)-(\\d+)?" "x 12- y")', ("12-", "12", None)),  # a group that took no part is nil
        ('(re-matches #"(?i)open" loan-status)', "Open"),
        ('(re-matches #"O" loan-status)', None),  # the whole text must match
        ('(re-find #"" "abc")', ""),  # an empty match is still a match (and "" is truthy)
        ('(re-find #"\\"" "say \\"hi\\"")', '"'),  # \\" in a regex literal is the pattern \\", a quote
        ('(re-find #"\\\\" "a\\\\b")', "\\"),  # \\\\ is a backslash
        ('(re-find #"é+" "café!")', "é"),
        ('(re-matches #"." "😀")', "😀"),  # . is one character, whatever its UTF-8 length
        ('(re-find #"#_ (import os)" "#_ (import os)")', None),  # inside a regex, # and ( are only pattern
        ('(re-find #"[;]" "a;b")', ";"),  # ; inside a regex starts no comment
        ('(get (re-find #"(\\d+)" "x42") 1)', "42"),
        ('(count (re-find #"(a)(b)(c)" "abc"))', 4),
    ],
)
def test_re_find_and_re_matches_follow_clojure(text, expected):
    assert value(text) == expected


def test_a_regex_result_keeps_clojures_truthiness():
    assert compile_rule('(boolean (re-find #"" loan-status))').run(context()).matched is True
    assert compile_rule('(if (re-find #"zz" loan-status) true false)').run(context()).matched is False
    assert compile_rule('(some? (re-find #"^Op" loan-status))').run(context()).matched is True
    assert [e.code for e in validate('(re-find #"^Op" loan-status)').errors] == ["not-boolean"]


def test_a_regex_on_nil_is_a_runtime_error_as_in_clojure():
    outcome = compile_rule('(boolean (re-find #"a" customer.secondary.status))').run(context())
    assert outcome.matched is False and outcome.error == "expected text, got nil"


@pytest.mark.parametrize(
    "text, code, line, column, says",
    [
        ('(re-find\n  #"(a)\\1" loan-status)', "literal", 2, 3, "invalid escape sequence: \\1"),
        ('(re-find #"(?=a)" loan-status)', "literal", 1, 10, "invalid perl operator: (?="),
        ('(re-find #"[a" loan-status)', "literal", 1, 10, "missing ]"),
        ('(re-find #"a{1001}" loan-status)', "literal", 1, 10, "invalid repetition size"),
        ('(re-find "a" loan-status)', "type", 1, 10, "re-find needs a regex literal written in place"),
        ("(re-find loan-status loan-status)", "type", 1, 10, "re-find needs a regex literal"),
        ('(re-find #"a" 5)', "type", 1, 15, "5 is a whole number; re-find needs text"),
        ('(re-matches #"a")', "arity", 1, 1, "re-matches takes a regex and a text, got 1 argument"),
        ('(= #"a" "a")', "not-allowed", 1, 4, 'a regex #"..." is only the pattern of re-find'),
        ('#{#"a"}', "literal", 1, 3, "holds only literal values"),
        ('(re-find #"abc loan-status)', "syntax", 1, 10, "this regex is never closed"),
        ('(re-find x#"a" loan-status)', "dispatch", 1, 11, "must be apart"),
    ],
)
def test_regex_refusals_are_located_at_the_literal(text, code, line, column, says):
    _first_error(text, code, line, column, says)


def test_a_text_pattern_gets_a_hint_to_write_a_regex():
    assert only_error('(re-find "^7" credit-status)').hint == 'write the pattern as a regex literal: #"^7"'


def test_positions_after_a_regex_are_unchanged():
    """The reader hides a regex's pattern from hy without moving anything: an error after a multi-line
    regex is still placed exactly."""
    text = '(and (boolean (re-find #"a\nb" loan-status))\n     (> loan-status 1))'
    assert errors(text) == [("type", 3, 9)]


def test_a_regex_inside_text_or_a_comment_is_only_text():
    assert value('(str "#\\"a\\"")') == '#"a"'
    assert value('(str "x") ; #"(" unclosed in a comment') == "x"


# ---------------------------------------------------------------- the reference agrees


@pytest.mark.parametrize(
    "tree",
    [
        ("let", (("x", ("lit", 1)), ("x", ("call", "+", (("local", "x"), ("lit", 1))))), ("local", "x")),
        ("call", "some", (("lit", frozenset({"b", "a"})), ("lit", frozenset({"a", "b", "c"})))),
        ("call", "every?", (("fn", "pos?"), ("lit", (1, 2)))),
        ("call", "some", (("fn", "inc"), ("lit", (1, 2)))),
        ("call", "re-find", (("re", "(a)(b)?"), ("lit", "xa"))),
        ("call", "clojure.string/split", (("lit", " a  b "), ("re", " +"))),
        ("call", "clojure.string/split", (("lit", "abc"), ("re", "x*"), ("lit", 2))),
        ("call", "clojure.string/last-index-of", (("lit", "abcabc"), ("lit", "c"), ("lit", 4))),
        ("call", "clojure.string/trim", (("lit", "\u2003a\xa0"),)),
        ("call", "clojure.string/split-lines", (("lit", "a\r\n\nb\n\n"),)),
    ],
)
def test_the_product_gives_the_references_answer(tree):
    expected = ref.evaluate(tree, context())
    assert expected.ok, expected
    assert value(ref.render(tree)) == expected.value, ref.render(tree)


def test_the_reference_renders_let_and_regexes_as_rule_text():
    tree = (
        "let",
        (("x", ("lit", datetime.date(2026, 1, 31))),),
        ("call", "re-find", (("re", "[0-9]+"), ("lit", "a1"))),
    )
    assert ref.render(tree) == '(let [x (date "2026-01-31")] (re-find #"[0-9]+" "a1"))'
    # (, let, [, x, (, date, "...", (, re-find, #"...", "a1": 11 parts, as the reader counts them
    assert ref.nodes(tree) == 11
