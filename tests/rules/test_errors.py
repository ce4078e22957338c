"""What a lender sees when a rule is wrong (issue 3, acceptance item 3, the error half): for every
error class, its code, where it is (1-based line and column, worked out by hand below for
multi-line texts) and a message and hint that say what to change."""

from __future__ import annotations

import pytest

from lms.rules import RuleError, RuleInvalid, compile_rule, validate


def only_error(text: str, **options) -> RuleError:
    """The single error validate reports for `text`."""
    result = validate(text, **options)
    assert not result.valid
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


def at(error: RuleError) -> tuple[str, int, int]:
    return error.code, error.line, error.column


def hint_of(error: RuleError) -> str:
    """The error's hint, which it must have."""
    assert error.hint is not None, error
    return error.hint


# ---------------------------------------------------------------- too-long


def test_a_rule_of_exactly_4000_characters_is_accepted():
    """Given a rule of exactly 4,000 characters
    When validated
    Then it is valid: the limit is inclusive."""
    text = '(= loan-status "' + "x" * 3_982 + '")'
    assert len(text) == 4_000

    assert validate(text).valid


def test_a_rule_over_4000_characters_is_too_long_at_the_first_character_past_the_limit():
    """Given a 4,030-character rule whose line 1 is 27 characters and line 2 a long comment
    When validated
    Then it is too-long at character 4,001: line 2, column 4,001 - 28 = 3,973; the message gives
    the length and the limit, the hint says to split it."""
    text = "(> status-days-past-due 30)\n; " + "x" * 4_000

    error = only_error(text)

    assert at(error) == ("too-long", 2, 3_973)
    assert error.message == "the rule is 4,030 characters long; at most 4,000 are allowed"
    assert error.hint == "split it into several rules"


# ---------------------------------------------------------------- too-deep


def test_brackets_nested_32_deep_are_accepted():
    """Given (and ...) holding 31 nested (not ...), 32 brackets deep
    When validated
    Then it is valid."""
    assert validate("(and true\n  true\n  " + "(not " * 31 + "true" + ")" * 32).valid


def test_brackets_nested_33_deep_are_refused_at_the_33rd_opening_bracket():
    """Given (and ...) on line 1 and 32 nested (not ...) on line 3, starting at column 3
    When validated
    Then it is too-deep at the 32nd (not: line 3, column 3 + 31 * 5 = 158."""
    text = "(and true\n  true\n  " + "(not " * 32 + "true" + ")" * 33

    error = only_error(text)

    assert at(error) == ("too-deep", 3, 158)
    assert "nested more than 32 deep" in error.message
    assert "split" in hint_of(error)


# ---------------------------------------------------------------- too-many-nodes


def test_a_rule_of_500_parts_is_accepted_and_501_are_refused():
    """Given (> (+ 1 1 ...) 0): 4 parts for the two calls, n ones and the 0
    When n is 495 (500 parts) and then 496 (501 parts)
    Then the first is valid and the second has too many parts."""
    assert validate("(> (+ " + "1 " * 495 + ") 0)").valid
    assert only_error("(> (+ " + "1 " * 496 + ") 0)").code == "too-many-nodes"


def test_too_many_parts_points_at_the_501st_part():
    """Given (> (+ on line 1 and 600 ones on line 2, in 1,210 characters (under the length limit)
    When validated
    Then it is too-many-nodes at the 497th one (the 501st part): line 2, column 1 + 2 * 496 = 993."""
    text = "(> (+\n" + "1 " * 600 + ")\n0)"
    assert len(text) < 4_000

    error = only_error(text)

    assert at(error) == ("too-many-nodes", 2, 993)
    assert error.message == "the rule has more than 500 parts"
    assert error.hint == "split it into several rules"


# ---------------------------------------------------------------- syntax


@pytest.mark.parametrize(
    "text, line, column, phrase",
    [
        pytest.param(
            '(and (> status-days-past-due 30)\n     (= loan-status "Open"',
            2,
            6,
            "this ( is never closed: add a )",
            id="unclosed-paren-points-at-the-innermost-opener",
        ),
        pytest.param(
            "(and true\n  (not false)", 1, 1, "this ( is never closed: add a )", id="unclosed-outer-paren-points-at-it"
        ),
        pytest.param(
            "(contains? [1 2\n  1)",
            2,
            4,
            "expected ] to close the [ at line 1, column 12, found )",
            id="unclosed-vector-is-a-mismatch-at-the-closer",
        ),
        pytest.param("(> status-days-past-due\n   30))", 2, 7, "this ) closes nothing", id="stray-closer-points-at-it"),
        pytest.param(
            "(and true\n  (not false])",
            2,
            13,
            "expected ) to close the ( at line 2, column 3, found ]",
            id="mismatched-closer-names-the-opener",
        ),
        pytest.param(
            '(= loan-status\n   "Open)',
            2,
            4,
            'this string is never closed: add a "',
            id="unclosed-string-points-at-its-quote",
        ),
        pytest.param(
            '(and true\n  (= loan-status "\\q"))', 2, 20, "invalid escape sequence \\q", id="bad-escape-read-by-hy"
        ),
    ],
)
def test_a_text_that_cannot_be_read_is_a_syntax_error_at_the_faulty_bracket_or_quote(text, line, column, phrase):
    """Given a text with unbalanced brackets, an unclosed string or a bad escape
    When validated
    Then it is a syntax error placed at the bracket or character at fault, saying what is wrong."""
    error = only_error(text)

    assert at(error) == ("syntax", line, column)
    assert phrase in error.message


def test_a_stray_closer_hint_says_to_remove_it():
    """Given a rule with one ) too many
    When validated
    Then the hint says to remove it or add the opening bracket."""
    assert only_error("(> 1 2))").hint == "remove it or add the matching opening bracket"


# ---------------------------------------------------------------- empty


@pytest.mark.parametrize(
    "text, phrase",
    [
        pytest.param("", "the rule is empty", id="empty-text"),
        pytest.param("  \n\t ", "the rule is empty", id="only-spaces"),
        pytest.param("; only a comment\n; and another", "only comments or spaces", id="only-comments"),
    ],
)
def test_a_rule_without_an_expression_is_empty_at_line_1_column_1(text, phrase):
    """Given a text with no expression
    When validated
    Then it is empty, at line 1, column 1, with a message saying so."""
    error = only_error(text)

    assert at(error) == ("empty", 1, 1)
    assert phrase in error.message


def test_the_empty_message_shows_what_to_write():
    """Given an empty rule
    When validated
    Then the message gives an example expression."""
    assert "(> status-days-past-due 30)" in only_error("").message


# ---------------------------------------------------------------- one-form


def test_a_second_expression_is_refused_where_it_starts():
    """Given two expressions, the second on line 3 at column 3
    When validated
    Then it is one-form at line 3, column 3, with a hint to combine them with and/or."""
    error = only_error('(> status-days-past-due 30)\n\n  (= loan-status "Open")')

    assert at(error) == ("one-form", 3, 3)
    assert "a rule is one expression" in error.message
    assert "(and ...)" in hint_of(error) and "(or ...)" in hint_of(error)


def test_two_atoms_are_two_expressions():
    """Given `true false`
    When validated
    Then it is one-form at the second atom, column 6."""
    assert at(only_error("true false")) == ("one-form", 1, 6)


# ---------------------------------------------------------------- dispatch


@pytest.mark.parametrize(
    "text, line, column",
    [
        pytest.param("(and true\n     #_ (import os))", 2, 6, id="discard-on-line-2"),
        pytest.param("(and true\n  (contains? #(1 2) 1))", 2, 14, id="tuple-on-line-2"),
        pytest.param("#[[text]]", 1, 1, id="bracket-string"),
        pytest.param('(= loan-status\n\n  #foo "x")', 3, 3, id="tag-macro-on-line-3"),
    ],
)
def test_hash_dispatch_other_than_a_set_is_refused_at_the_hash(text, line, column):
    """Given a # form that is not a set
    When validated
    Then it is a dispatch error at the #, saying # may only start a set and that reader macros
    are not part of the language."""
    error = only_error(text)

    assert at(error) == ("dispatch", line, column)
    assert "# may only start a set" in error.message
    assert "reader macros" in hint_of(error)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('(contains? #{"Collections" "Bankruptcy"} "Collections")', id="a-set"),
        pytest.param('(= loan-status "#1 (open")', id="hash-and-bracket-in-a-string"),
        pytest.param("(> status-days-past-due 30) ; #_ ( not code", id="hash-and-bracket-in-a-comment"),
    ],
)
def test_sets_and_hashes_inside_strings_and_comments_are_not_dispatch(text):
    """Given a set, or a # and a bracket inside a string or a comment
    When validated
    Then the rule is valid."""
    assert validate(text).valid


# ---------------------------------------------------------------- unknown-name


def test_a_misspelt_variable_is_unknown_with_the_closest_name_as_hint():
    """Given (> status-days-past-du 30) on line 2 at column 6
    When validated
    Then it is an unknown variable there, and the hint is exactly the catalogue name."""
    error = only_error("(and true\n  (> status-days-past-du 30))")

    assert at(error) == ("unknown-name", 2, 6)
    assert error.message == "unknown variable status-days-past-du"
    assert error.hint == "did you mean status-days-past-due?"


def test_a_misspelt_function_is_unknown_with_the_closest_function_as_hint():
    """Given (lower-cas loan-status) on line 2, its name at column 7
    When validated
    Then it is an unknown function there, with lower-case as hint."""
    error = only_error('(and true\n  (= (lower-cas loan-status) "open"))')

    assert at(error) == ("unknown-name", 2, 7)
    assert error.message == "unknown function lower-cas"
    assert error.hint == "did you mean lower-case?"


def test_a_name_far_from_everything_has_no_hint():
    """Given an unknown variable like nothing in the catalogue
    When validated
    Then the error has no hint rather than a wrong one."""
    error = only_error("(> zzqx 1)")

    assert error.message == "unknown variable zzqx"
    assert error.hint is None


@pytest.mark.parametrize(
    "text, column, message, hint",
    [
        pytest.param("(== 1 1)", 2, "unknown function ==", "did you mean =?", id="double-equals"),
        pytest.param("(!= 1 2)", 2, "unknown function !=", "did you mean not=?", id="bang-equals"),
        pytest.param("(= True true)", 4, "unknown variable True", "did you mean true?", id="python-True"),
        pytest.param("(= None nil)", 4, "unknown variable None", "did you mean nil?", id="python-None"),
        pytest.param("(&& true true)", 2, "unknown function &&", "did you mean and?", id="double-ampersand"),
        pytest.param("(= (% 7 2) 1)", 5, "unknown function %", "did you mean mod?", id="percent"),
    ],
)
def test_names_from_other_languages_suggest_the_rule_language_spelling(text, column, message, hint):
    """Given a name from Python, JavaScript or SQL
    When validated
    Then it is unknown, and the hint is the rule language's name for it."""
    error = only_error(text)

    assert at(error) == ("unknown-name", 1, column)
    assert error.message == message
    assert error.hint == hint


def test_an_unknown_key_of_a_customer_map_names_the_key_and_a_close_one():
    """Given (-> customer.primary :statuss) with the key on line 3, column 7
    When validated
    Then it is unknown-name at the key, naming the map and the key, with status as hint."""
    error = only_error('(=\n  (-> customer.primary\n      :statuss)\n  "x")')

    assert at(error) == ("unknown-name", 3, 7)
    assert error.message == "customer.primary has no :statuss"
    assert "status" in hint_of(error)


def test_an_unknown_key_far_from_every_key_lists_the_keys():
    """Given a key like no key of the customer map
    When validated
    Then the hint lists the keys the map has."""
    assert only_error("(= (-> customer.primary :zzz) 1)").hint == "keys: :status, :id, :credit-score"


def test_an_unknown_key_hint_is_written_as_a_keyword():
    """Given (-> customer.primary :statuss)
    When validated
    Then the hint is the key as it must be written: did you mean :status?"""
    assert only_error('(= (-> customer.primary :statuss) "x")').hint == "did you mean :status?"


# ---------------------------------------------------------------- not-allowed


@pytest.mark.parametrize(
    "text, line, column, message",
    [
        pytest.param(
            "(and true\n  (.upper loan-status))",
            2,
            4,
            "attribute access is not part of the rule language",
            id="method-call",
        ),
        pytest.param(
            '(and true\n  (= (. loan-status upper) "OPEN"))',
            2,
            7,
            "attribute access is not part of the rule language",
            id="dot-form",
        ),
        pytest.param(
            '(and true\n  (= loan-status.upper "x"))',
            2,
            6,
            "loan-status.upper: dotted names are only the customer variables; "
            "attribute access is not part of the rule language",
            id="dotted-variable",
        ),
        pytest.param("(and true\n  (import os))", 2, 4, "import is not part of the rule language", id="import"),
        pytest.param("(and true\n  (setv x 1))", 2, 4, "setv is not part of the rule language", id="setv"),
        pytest.param('(and true\n  (py "1"))', 2, 4, "py is not part of the rule language", id="py"),
        pytest.param(
            "(and true\n  (loan-status))",
            2,
            4,
            "loan-status is a variable, not a function: write it without brackets",
            id="calling-a-variable",
        ),
        pytest.param(
            "(and true\n  (:status customer.primary))",
            2,
            4,
            "keywords cannot be called: write (-> map :status)",
            id="keyword-call",
        ),
        pytest.param(
            "(and true\n  ())",
            2,
            3,
            "() is empty: write a function and its arguments, like (> status-days-past-due 30)",
            id="empty-call",
        ),
        pytest.param(
            "(and true\n  contains?)",
            2,
            3,
            "contains? is a function: call it as (contains? ...)",
            id="function-as-a-value",
        ),
        pytest.param(
            "(and true\n  (1 2))", 2, 4, "a (...) form must start with a function name", id="number-as-a-head"
        ),
        pytest.param(
            '(= (-> customer.primary status) "x")',
            1,
            25,
            "-> in a rule takes keywords only, like (-> customer.primary :status)",
            id="thread-with-a-symbol",
        ),
    ],
)
def test_forms_outside_the_language_are_not_allowed_where_they_are_written(text, line, column, message):
    """Given attribute access, a forbidden form, a variable or keyword called as a function, an
    empty call or a function used as a value
    When validated
    Then it is not-allowed at that form, with a message that says what to write instead."""
    error = only_error(text)

    assert at(error) == ("not-allowed", line, column)
    assert error.message == message


def test_a_dotted_name_close_to_a_variable_suggests_it():
    """Given loan-status.upper
    When validated
    Then the hint names the variable it resembles."""
    assert only_error('(= loan-status.upper "x")').hint == "did you mean loan-status?"


def test_forbidden_forms_point_to_the_variables_and_function_list():
    """Given (import os)
    When validated
    Then the hint says where to find what a rule may use."""
    assert "GET /variables" in hint_of(only_error("(import os)"))


# ---------------------------------------------------------------- arity


@pytest.mark.parametrize(
    "text, line, column, message, hint",
    [
        pytest.param(
            "(and true\n  (not loan-active\n       charged-off))",
            2,
            4,
            "not takes 1 argument, got 2",
            "(not test)",
            id="not-with-two",
        ),
        pytest.param("(not)", 1, 2, "not takes 1 argument, got 0", "(not test)", id="not-with-none"),
        pytest.param(
            '(= (subs "x") "x")',
            1,
            5,
            "subs takes 2 to 3 arguments, got 1",
            "(subs text start end)",
            id="subs-with-one",
        ),
        pytest.param(
            "(contains? portfolios)",
            1,
            2,
            "contains? takes 2 arguments, got 1",
            '(contains? portfolios "Collections")',
            id="contains-with-one",
        ),
    ],
)
def test_a_function_called_with_the_wrong_number_of_arguments_is_an_arity_error_at_its_name(
    text, line, column, message, hint
):
    """Given a function called with too many or too few arguments
    When validated
    Then it is an arity error at the function's name, saying how many it takes and how many it
    got, with a usage example as hint."""
    error = only_error(text)

    assert at(error) == ("arity", line, column)
    assert error.message == message
    assert error.hint == hint


def test_a_comparison_of_one_value_is_allowed_as_in_clojure():
    """Given (> status-days-past-due) with one argument
    When validated
    Then it is valid: comparisons take at least one argument."""
    assert validate("(> status-days-past-due)").valid


@pytest.mark.parametrize(
    "text, line, column, phrase",
    [
        pytest.param("(and true\n  (if loan-active))", 2, 3, "if takes a test, a then and an optional else", id="if"),
        pytest.param("(when loan-active)", 1, 1, "when takes a test and one expression", id="when"),
        pytest.param("(cond loan-active)", 1, 1, "cond takes pairs of test and value", id="cond"),
        pytest.param('(> current-date (date "2026-01-01" "x"))', 1, 17, "date takes one text literal", id="date"),
        pytest.param("(= (custom-field 1) 1)", 1, 4, "custom-field takes the field's name as text", id="custom-field"),
        pytest.param("(> (u/today 1) current-date)", 1, 4, "u/today takes no arguments, or :format :date", id="today"),
    ],
)
def test_special_forms_with_the_wrong_shape_are_arity_errors_at_their_bracket(text, line, column, phrase):
    """Given if, when, cond, date, custom-field or u/today with the wrong arguments
    When validated
    Then it is an arity error at the form's opening bracket, saying what the form takes."""
    error = only_error(text)

    assert at(error) == ("arity", line, column)
    assert phrase in error.message


@pytest.mark.parametrize("text", ["(if true)", "(when true)"])
def test_arity_messages_use_the_singular_for_one_argument(text):
    """Given if or when with one argument
    When validated
    Then the message says 'got 1 argument'."""
    assert only_error(text).message.endswith("got 1 argument")


# ---------------------------------------------------------------- type


def test_a_text_variable_compared_as_a_number_is_a_type_error_at_the_variable():
    """Given (> loan-status 30) on line 2, loan-status at column 9
    When validated
    Then it is a type error there that names loan-status, says it is text and that > needs
    numbers, with a hint to compare text with =."""
    error = only_error("(and loan-active\n     (> loan-status 30))")

    assert at(error) == ("type", 2, 9)
    assert error.message == "loan-status is text; > needs numbers or dates"
    assert error.hint == 'compare text with = or not=, e.g. (= loan-status "Open")'


@pytest.mark.parametrize(
    "text, column, message, hint",
    [
        pytest.param(
            "(> (* loan-status 3) 1)", 7, "loan-status is text; * needs numbers", None, id="text-times-a-number"
        ),
        pytest.param(
            '(> (+ "1" 2) 1)',
            7,
            '"1" is text; + needs numbers',
            "write the number without quotes: 1",
            id="quoted-number-in-arithmetic",
        ),
        pytest.param(
            '(> status-payoff "12.50")',
            18,
            '"12.50" is text; > needs numbers or dates',
            "write the number without quotes: 12.50",
            id="quoted-decimal-in-comparison",
        ),
        pytest.param(
            '(> current-date "2026-01-01")',
            17,
            '"2026-01-01" is text; > needs numbers or dates',
            'write a date as (date "2026-01-01")',
            id="quoted-date",
        ),
        pytest.param(
            "(= loan-status 3)",
            16,
            "loan-status is text and 3 is a whole number: (= ...) would always be false",
            'write text in quotes, like "3"',
            id="text-equals-a-number",
        ),
        pytest.param(
            '(not= 1 "x")',
            9,
            '1 is a whole number and "x" is text: (not= ...) would always be true',
            None,
            id="not-equal-always-true",
        ),
        pytest.param(
            "(contains? portfolios 5)",
            23,
            "5 is a whole number; the set holds text",
            None,
            id="number-in-a-set-of-text",
        ),
        pytest.param(
            "(> status-payoff current-date)",
            1,
            "> compares numbers with dates",
            "use (u/date-compare a b) for the days between dates",
            id="number-against-a-date",
        ),
        pytest.param(
            "(> (- current-date 1) 0)", 7, "current-date is a date; - needs numbers", None, id="date-arithmetic"
        ),
        pytest.param(
            "(> loan-active 1)",
            4,
            "loan-active is true or false; > needs numbers or dates",
            None,
            id="boolean-compared",
        ),
        pytest.param(
            "(= (count 1) 1)", 11, "1 is a whole number; count needs text or a collection", None, id="count-of-a-number"
        ),
        pytest.param(
            "(starts-with? loan-status 1)",
            27,
            "1 is a whole number; starts-with? needs text",
            None,
            id="starts-with-a-number",
        ),
        pytest.param("(= (-> loan-status :x) 1)", 8, "loan-status is text; -> needs a map", None, id="thread-on-text"),
    ],
)
def test_values_of_the_wrong_type_are_refused_at_the_value(text, column, message, hint):
    """Given a value of a type the function cannot take
    When validated
    Then it is a type error at that value, naming it and its type and what the function needs."""
    error = only_error(text)

    assert at(error) == ("type", 1, column)
    assert error.message == message
    if hint is not None:
        assert error.hint == hint


def test_contains_on_a_vector_is_refused_with_a_set_as_hint():
    """Given (contains? [1 2] 1), which in Clojure asks about positions
    When validated
    Then it is a type error at the vector, and the hint shows a set."""
    error = only_error("(contains? [1 2] 1)")

    assert at(error) == ("type", 1, 12)
    assert "contains? on a vector asks about positions" in error.message
    assert "#{" in hint_of(error)


def test_comparing_a_set_with_text_suggests_contains():
    """Given (= portfolios "Collections")
    When validated
    Then the hint suggests (contains? portfolios "Collections")."""
    assert "contains?" in hint_of(only_error('(= portfolios "Collections")'))


def test_a_boolean_literal_of_the_wrong_type_is_named():
    """Given (> (+ true 1) 0)
    When validated
    Then the message names the literal: true is true or false."""
    assert only_error("(> (+ true 1) 0)").message.startswith("true is true or false")


def test_parse_functions_say_they_need_a_number_or_text():
    """Given (v/parse-int true)
    When validated
    Then the message says v/parse-int needs a number or text."""
    assert only_error("(> (v/parse-int true) 1)").message.endswith("v/parse-int needs a number or text")


# ---------------------------------------------------------------- literal


@pytest.mark.parametrize(
    "text, line, column, phrase",
    [
        pytest.param("(and true\n  (= 1j 1))", 2, 6, "complex numbers are not part of the rule language", id="complex"),
        pytest.param("(> NaN 1)", 1, 4, "NaN is not a number a rule can use", id="nan"),
        pytest.param("(< -Inf 1)", 1, 4, "-Inf is not a number a rule can use", id="minus-inf"),
        pytest.param('(= loan-status b"x")', 1, 16, 'b"..." strings are not part of the rule language', id="bytes"),
        pytest.param(
            '(= loan-status\n   f"x")', 2, 4, 'f"..." strings are not part of the rule language', id="f-string"
        ),
        pytest.param("(and true {1 2})", 1, 11, "maps {...} cannot be written in a rule", id="map"),
        pytest.param(
            "(> status-payoff 1234567890123456789)", 1, 18, "this number is out of range", id="nineteen-digit-integer"
        ),
        pytest.param("(> status-payoff 0.12345678901)", 1, 18, "this number is out of range", id="eleven-decimals"),
        pytest.param(
            '(> current-date (date "2026-02-30"))',
            1,
            23,
            '"2026-02-30" is not a date; write YYYY-MM-DD',
            id="impossible-date",
        ),
        pytest.param(
            "(= [1 loan-status] [1 2])", 1, 7, "a vector in a rule holds only literal values", id="variable-in-a-vector"
        ),
        pytest.param(
            '(contains? #{"A"\n  loan-status} "A")',
            2,
            3,
            "a set in a rule holds only literal values",
            id="variable-in-a-set",
        ),
        pytest.param('(contains? #{"A" "A"} "A")', 1, 12, "this set lists a value twice", id="set-with-a-duplicate"),
    ],
)
def test_literals_the_language_does_not_have_are_refused_where_they_are_written(text, line, column, phrase):
    """Given a literal that is not part of the language or out of its range
    When validated
    Then it is a literal error at the literal, saying what is wrong with it."""
    error = only_error(text)

    assert at(error) == ("literal", line, column)
    assert phrase in error.message


@pytest.mark.parametrize(
    "text, hint",
    [
        pytest.param("(> 1 NaN)", "rules have no NaN or infinity", id="nan"),
        pytest.param(
            "(> 1 1234567890123456789)",
            "numbers in rules have at most 18 digits before the point and 10 after it",
            id="out-of-range",
        ),
        pytest.param("(and true {1 2})", "use a set #{...} or a vector [...]", id="map"),
        pytest.param('(= loan-status f"x")', 'write text as plain "..."', id="f-string"),
        pytest.param(
            "(= [1 loan-status] [1 2])",
            "variables and calls cannot go inside [...] or #{...}",
            id="variable-in-a-vector",
        ),
    ],
)
def test_literal_errors_hint_at_what_to_write(text, hint):
    """Given a refused literal
    When validated
    Then the hint says what the language has instead."""
    assert only_error(text).hint == hint


def test_numbers_at_the_edge_of_the_range_are_accepted():
    """Given an 18-digit integer and a decimal with 10 places
    When validated
    Then both are valid numbers."""
    assert validate("(> status-payoff 999999999999999999)").valid
    assert validate("(> status-payoff 0.1234567891)").valid


# ---------------------------------------------------------------- not-boolean


@pytest.mark.parametrize(
    "text, line, column, gives",
    [
        pytest.param("(+ 1 2)", 1, 1, "a whole number", id="arithmetic"),
        pytest.param("status-payoff", 1, 1, "a number", id="money-variable"),
        pytest.param("loan-status", 1, 1, "text", id="text-variable"),
        pytest.param("\n  (+ 1\n     2)", 2, 3, "a whole number", id="arithmetic-on-line-2"),
        pytest.param("portfolios", 1, 1, "a set", id="set-variable"),
    ],
)
def test_a_criteria_that_does_not_give_true_or_false_is_not_boolean(text, line, column, gives):
    """Given a criteria whose value is a number, text or a set
    When validated as a criteria
    Then it is not-boolean at the expression, saying what it gives, with a hint to compare."""
    error = only_error(text)

    assert at(error) == ("not-boolean", line, column)
    assert error.message == f"the criteria gives {gives}; it must give true or false"
    assert error.hint == "compare the value, like (> status-days-past-due 30)"


def test_a_value_expression_need_not_be_boolean():
    """Given (+ 1 2)
    When validated as a value rather than a criteria
    Then it is valid."""
    assert validate("(+ 1 2)", criteria=False).valid


# ---------------------------------------------------------------- several errors, and the error types


def test_every_error_of_a_rule_is_reported_in_text_order():
    """Given a rule with a type error on line 1, an unknown function on line 2 and a type error
    on line 3
    When validated
    Then all three are reported, in that order, each at its place."""
    text = '(and (> loan-status 1)\n     (foo 2)\n  (not= 1 "x"))'

    errors = validate(text).errors

    assert [at(e) for e in errors] == [("type", 1, 9), ("unknown-name", 2, 7), ("type", 3, 11)]


def test_every_refused_literal_is_reported_in_text_order():
    """Given three refused literals in one rule
    When validated
    Then the three literal errors are reported, left to right."""
    errors = validate("(and 1j NaN {1 2})").errors

    assert [at(e) for e in errors] == [("literal", 1, 6), ("literal", 1, 9), ("literal", 1, 13)]


def test_compile_rule_raises_the_errors_validate_reports():
    """Given an invalid rule
    When compiled
    Then RuleInvalid carries the same errors as validate, and its text names the first one's place."""
    text = "(and (> loan-status 1)\n     (foo 2))"

    with pytest.raises(RuleInvalid) as refused:
        compile_rule(text)

    assert refused.value.errors == validate(text).errors
    assert str(refused.value) == "line 1, column 9: loan-status is text; > needs numbers or dates"


def test_rule_invalid_sorts_its_errors_and_names_the_first_place():
    """Given errors listed out of text order
    When RuleInvalid is built from them
    Then they are sorted by line and column, and its text names the first one's line and column."""
    late, early = RuleError("arity", "late", 2, 7), RuleError("type", "early", 1, 30)

    invalid = RuleInvalid([late, early])

    assert invalid.errors == [early, late]
    assert str(invalid) == "line 1, column 30: early"


def test_an_error_as_detail_drops_a_missing_hint_and_keeps_a_present_one():
    """Given an error without a hint and one with a hint
    When turned into API details
    Then the first has no hint key and the second has it."""
    assert RuleError("syntax", "m", 2, 3).as_detail() == {"code": "syntax", "message": "m", "line": 2, "column": 3}
    assert RuleError("type", "m", 1, 1, "h").as_detail() == {
        "code": "type",
        "message": "m",
        "line": 1,
        "column": 1,
        "hint": "h",
    }


def test_a_valid_rule_reports_no_errors_and_the_variables_it_reads():
    """Given a valid rule
    When validated
    Then it has no errors and lists the variables it reads, in reading order."""
    result = validate('(and (> status-days-past-due 30) (= loan-status "Open"))')

    assert result.valid and result.errors == []
    assert result.variables == ["status-days-past-due", "loan-status"]
