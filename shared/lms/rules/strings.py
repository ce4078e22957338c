"""The run-time helpers of clojure.string's functions, of some and every?, and of regexes (issue 16), with
Clojure's semantics; lms.rules.runtime has the others. Regexes are RE2's, compiled once when the rule is
(lms.rules.compiler): matching is linear in the text, whatever the pattern."""

from __future__ import annotations

import re
from typing import Any

from .runtime import ABSENT, MAX_TEXT, RuleRuntimeError, contains, need_text, quoted, show

# ---------------------------------------------------------------- clojure.string

# Java's Character.isWhitespace, which clojure.string/trim and blank? use: the Unicode space, line and
# paragraph separators but the no-break ones (U+00A0, U+2007, U+202F), and \t \n \v \f \r and U+001C..U+001F.
# Not U+0085 (Python's strip() and isspace() take it, Java does not).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a"
    "\u2028\u2029\u205f\u3000"
)


def trim(s: Any) -> str:
    return need_text(s).strip(WHITESPACE)


def triml(s: Any) -> str:
    return need_text(s).lstrip(WHITESPACE)


def trimr(s: Any) -> str:
    return need_text(s).rstrip(WHITESPACE)


def is_blank(s: Any) -> bool:
    """(clojure.string/blank? s): nil, empty or only whitespace."""
    return s is None or not need_text(s).strip(WHITESPACE)


def capitalize(s: Any) -> str:
    """The first character in upper case, the rest in lower case (characters are code points, as in count)."""
    s = need_text(s)
    return s[:1].upper() + s[1:].lower()


def reverse(s: Any) -> str:
    return need_text(s)[::-1]


def replace(s: Any, match: Any, replacement: Any) -> str:
    """Every occurrence of the text `match` replaced, as Java's String.replace (an empty match goes between
    every character); the result at most MAX_TEXT characters, as str's."""
    s, match, replacement = need_text(s), need_text(match), need_text(replacement)
    occurrences = s.count(match)
    if len(s) + occurrences * (len(replacement) - len(match)) > MAX_TEXT:
        raise RuleRuntimeError(f"text longer than {MAX_TEXT:,} characters")
    return s.replace(match, replacement)


def join(first: Any, second: Any = ABSENT) -> str:
    """(join coll) and (join separator coll): str of each element, a set's in the order str prints them."""
    separator, coll = ("", first) if second is ABSENT else (need_text(first), second)
    parts = [show(x) for x in elements(coll, "clojure.string/join")]
    if sum(map(len, parts)) + len(separator) * max(len(parts) - 1, 0) > MAX_TEXT:
        raise RuleRuntimeError(f"text longer than {MAX_TEXT:,} characters")
    return separator.join(parts)


def _position_argument(x: Any, fn: str) -> int:
    if type(x) is not int:
        raise RuleRuntimeError(f"{fn} needs a whole number position, got {quoted(x)}")
    return x


def index_of(s: Any, value: Any, start: Any = ABSENT) -> int | None:
    """Java's indexOf: from `start` (below 0 is 0), the first position of `value`, or nil."""
    s, value = need_text(s), need_text(value)
    begin = 0 if start is ABSENT else min(max(_position_argument(start, "clojure.string/index-of"), 0), len(s))
    found = s.find(value, begin)
    return None if found < 0 else found


def last_index_of(s: Any, value: Any, start: Any = ABSENT) -> int | None:
    """Java's lastIndexOf: the last position of `value` at or before `start`, or nil."""
    s, value = need_text(s), need_text(value)
    if start is ABSENT:
        found = s.rfind(value)
    else:
        at = _position_argument(start, "clojure.string/last-index-of")
        found = -1 if at < 0 else s.rfind(value, 0, min(at + len(value), len(s)))
    return None if found < 0 else found


def split_lines(s: Any) -> tuple[str, ...]:
    """(clojure.string/split-lines s): (split s #"\r?\n"), trailing empty lines dropped."""
    if need_text(s) == "":
        return ("",)  # Java: no match, the whole input
    parts = s.replace("\r\n", "\n").split("\n")
    while parts and parts[-1] == "":
        parts.pop()
    return tuple(parts)


# ---------------------------------------------------------------- collections with a predicate


def elements(coll: Any, fn: str) -> tuple | list:
    """The elements some, every? and join walk: a vector's in order, a set's in the order str prints them
    (a set has no order of its own, and Python's differs between processes); nil has none."""
    if coll is None:
        return ()
    if isinstance(coll, (tuple, list)):
        return coll
    if isinstance(coll, (set, frozenset)):
        return sorted(coll, key=quoted)
    raise RuleRuntimeError(f"{fn} needs a vector or a set, got {quoted(coll)}")


def some(pred: Any, coll: Any) -> Any:
    """Clojure's some: the first truthy (pred x), else nil. `pred` is the rule's own compiled predicate."""
    for x in elements(coll, "some"):
        found = pred(x)
        if found is not None and found is not False:
            return found
    return None


def every(pred: Any, coll: Any) -> bool:
    """Clojure's every?: true when (pred x) is truthy for every x (and for no x at all)."""
    for x in elements(coll, "every?"):
        found = pred(x)
        if found is None or found is False:
            return False
    return True


def _set_function(s: Any, fn: str) -> Any:
    """A set used as the predicate of some or every?; anything else (a custom field's value) cannot be called."""
    if not isinstance(s, (set, frozenset)):
        raise RuleRuntimeError(f"{fn}: {quoted(s)} is not a set, so it cannot test the elements")
    return lambda x: in_set(s, x)


def some_in(s: Any, coll: Any) -> Any:
    """(some #{...} coll): the first element the set holds (and that is not nil or false), else nil."""
    items = elements(coll, "some")
    return some(_set_function(s, "some"), items) if items else None


def every_in(s: Any, coll: Any) -> bool:
    items = elements(coll, "every?")
    return every(_set_function(s, "every?"), items) if items else True


def in_set(s: Any, x: Any) -> Any:
    """A set called as a function, (#{"a"} x): x when the set holds it, else nil."""
    return x if contains(s, x) else None


# ---------------------------------------------------------------- regular expressions (RE2: linear time)


REGEX_MEMORY = 1 << 20  # bytes RE2 may use for one pattern (its default is 8 MiB); a bigger one is refused
REGEX_SIZE = 5_000  # RE2 program size of one pattern at most (\p{L} alone is 1,201; \w{300} 1,800)
_ANY_BYTE = re.compile(r"(?<!\\)(?:\\\\)*\\C")  # RE2's \C (any byte): Java has none, and it splits characters


class RegexRefused(ValueError):
    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def compile_regex(pattern: str) -> Any:
    """A regex literal's pattern compiled by RE2, or RegexRefused with why and a hint."""
    import re2  # type: ignore[import-untyped]  # google-re2: no stubs

    if _ANY_BYTE.search(pattern):
        raise RegexRefused("this regex cannot be used: \\C (any byte) splits characters", "use . for any character")
    options = re2.Options()
    options.log_errors = False
    options.max_mem = REGEX_MEMORY
    try:
        compiled = re2.compile(pattern, options)
    except re2.error as error:
        reason = error.args[0].decode("utf-8", "replace") if error.args and isinstance(error.args[0], bytes) else ""
        raise RegexRefused(
            f"this regex cannot be used: {reason or 'RE2 does not read it'}",
            "patterns are RE2's: no backreferences (\\1) and no lookaround ((?=...), (?!...), (?<=...))",
        ) from None
    if compiled.programsize > REGEX_SIZE:
        raise RegexRefused(
            f"this regex is too large: {compiled.programsize:,} steps to RE2, at most {REGEX_SIZE:,}",
            "use smaller counted repetitions ({n}) or fewer character classes",
        )
    return compiled


# RE2 matches in time linear in the text, but the factor is the pattern's program size when its DFA does not fit
# in the memory a pattern has (a counted repetition of a loop, like (\w+\s?){150}): then a search costs up to
# text length x program size steps. Each search is held to this many (about 5 ms), so no rule is slow.
REGEX_WORK = 2_000_000


def searched(pattern: Any, s: Any, fn: str) -> str:
    """The text a regex function looks at, when searching it stays within REGEX_WORK."""
    s = need_text(s)
    if len(s) * pattern.programsize > REGEX_WORK:
        longest = REGEX_WORK // pattern.programsize
        raise RuleRuntimeError(
            f"{fn}: a text of {len(s):,} characters is too long for this regex (at most {longest:,} for a pattern"
            f" of its size, {pattern.programsize}); use a simpler pattern or a shorter text"
        )
    return s


def regex_groups(match: Any, groups: int) -> Any:
    """Clojure's re-groups: the matched text, or with groups [whole group1 ...] (nil for a group that did not
    take part); nil without a match."""
    if match is None:
        return None
    if not groups:
        return match.group(0)
    return tuple(match.group(k) for k in range(groups + 1))


def re_find(pattern: Any, s: Any) -> Any:
    return regex_groups(pattern.search(searched(pattern, s, "re-find")), pattern.groups)


def re_matches(pattern: Any, s: Any) -> Any:
    return regex_groups(pattern.fullmatch(searched(pattern, s, "re-matches")), pattern.groups)


def split(s: Any, pattern: Any, limit: Any = 0) -> tuple[str, ...]:
    """(clojure.string/split s re) and with a limit: Java's Pattern.split. A zero-width match at the start
    makes no empty first part; with no limit (0) the empty parts at the end are dropped, with a limit above 0
    at most that many parts, below 0 every part."""
    s = searched(pattern, s, "clojure.string/split")
    if type(limit) is not int:
        raise RuleRuntimeError(f"clojure.string/split needs a whole number limit, got {quoted(limit)}")
    parts: list[str] = []
    index = 0
    for m in pattern.finditer(s):
        if limit > 0 and len(parts) >= limit - 1:
            break
        if index == 0 and m.start() == 0 and m.end() == 0:
            continue
        parts.append(s[index : m.start()])
        index = m.end()
    if index == 0 and not parts:
        return (s,)
    parts.append(s[index:])
    if limit == 0:
        while parts and parts[-1] == "":
            parts.pop()
    return tuple(parts)


NAMESPACE: dict[str, Any] = {
    "_trim": trim,
    "_triml": triml,
    "_trimr": trimr,
    "_blank": is_blank,
    "_capitalize": capitalize,
    "_reverse": reverse,
    "_replace": replace,
    "_join": join,
    "_index_of": index_of,
    "_last_index_of": last_index_of,
    "_split": split,
    "_split_lines": split_lines,
    "_some": some,
    "_every": every,
    "_some_in": some_in,
    "_every_in": every_in,
    "_in_set": in_set,
    "_re_find": re_find,
    "_re_matches": re_matches,
}
