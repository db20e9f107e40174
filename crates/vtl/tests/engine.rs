//! Table-driven tests of the parser and evaluator through the public API.

use std::collections::BTreeMap;

use portico_vtl::{Input, Limits, RenderErrorKind, Template};
use serde_json::json;

fn input() -> Input {
    Input {
        body: r#"{"name":"Ann","n":3,"price":249.99,"items":[{"id":1,"tag":"a"},{"id":2,"tag":"b"}],"nested":{"k":"v","list":[1,2]},"s":"it's"}"#.into(),
        path: vec![("id".into(), "abc".into())],
        querystring: vec![("q".into(), "x y".into()), ("id".into(), "from-query".into())],
        header: vec![("X-Trace".into(), "t-1".into())],
    }
}

fn render_with(src: &str, input: &Input) -> Result<String, String> {
    let t = Template::parse(src).map_err(|e| format!("parse: {e}"))?;
    let ctx = json!({"stage": "prod", "identity": {"sourceIp": "192.0.2.1"}, "authorizer": {"claims": {"sub": "u1"}}});
    let mut stage = BTreeMap::new();
    stage.insert("env".to_string(), "test".to_string());
    // These tables are Velocity's semantics; API Gateway's one change is checked below.
    let velocity = Limits {
        null_renders_empty: false,
        ..Limits::default()
    };
    t.render(input, &ctx, &stage, &velocity)
        .map_err(|e| format!("render: {e}"))
}

#[test]
fn api_gateway_renders_null_references_as_nothing() {
    let t = Template::parse(r#"[$nothing] [$input.path('$.missing')] [${x.y}] [$!quiet]"#).unwrap();
    let out = t
        .render(&input(), &json!({}), &BTreeMap::new(), &Limits::default())
        .unwrap();
    assert_eq!(out, "[] [] [] []");
}

fn render(src: &str) -> String {
    match render_with(src, &input()) {
        Ok(s) => s,
        Err(e) => panic!("{src:?} failed: {e}"),
    }
}

fn check(cases: &[(&str, &str)]) {
    let mut failures = Vec::new();
    for (src, want) in cases {
        let got = render_with(src, &input());
        if got.as_deref() != Ok(*want) {
            failures.push(format!(
                "template {src:?}\n   want {want:?}\n    got {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn references_and_null_rendering() {
    check(&[
        ("plain text", "plain text"),
        ("$missing", "$missing"),
        ("$!missing", ""),
        ("${missing}", "${missing}"),
        ("$!{missing}", ""),
        ("#set($a = 'x')${a}y", "xy"),
        ("#set($a = 'x')$a.foo", "$a.foo"),
        ("#set($a = 'x')$!a.foo", ""),
        ("$ 5 and $1.50", "$ 5 and $1.50"),
        ("a#b #c", "a#b #c"),
        (
            "$stageVariables.env $context.stage $context.identity.sourceIp",
            "test prod 192.0.2.1",
        ),
        ("$context.authorizer.claims.sub", "u1"),
        ("$stageVariables['env']", "test"),
        ("${stageVariables['env']}", "test"),
        ("#set($m = {'a': 1})$m.a.", "1."),
    ]);
}

#[test]
fn escapes_follow_velocity() {
    check(&[
        ("#set($a = 1)\\$a", "$a"),
        ("\\$undefined", "\\$undefined"),
        ("#set($a = 1)\\\\$a", "\\1"),
        ("#set($a = 1)\\\\\\$a", "\\$a"),
        ("\\#if(true)", "#if(true)"),
        ("\\#end", "#end"),
        ("a\\b", "a\\b"),
        ("#[[#if($x) $y #end]]#", "#if($x) $y #end"),
        ("x## comment\ny", "xy"),
        ("x#* block\n comment *#y", "xy"),
    ]);
}

#[test]
fn set_and_expressions() {
    check(&[
        ("#set($a = 7 / 2)$a", "3"),
        ("#set($a = -7 / 2)$a", "-3"),
        ("#set($a = 7 % 3)$a", "1"),
        ("#set($a = -7 % 3)$a", "-1"),
        ("#set($a = 7.0 / 2)$a", "3.5"),
        ("#set($a = 1 + 2 * 3)$a", "7"),
        ("#set($a = (1 + 2) * 3)$a", "9"),
        ("#set($a = 2.5 * 2)$a", "5.0"),
        ("#set($a = 'x' + 1)$a", "x1"),
        ("#set($a = 1)#set($a = 1 / 0)$a", "1"),
        ("#set($a = 'keep')#set($a = $nothing)$a", "keep"),
        ("#set($a = \"n=$input.params('id')\")$a", "n=abc"),
        ("#set($a = 'n=$input')$a", "n=$input"),
        ("#set($a = \"say \"\"hi\"\"\")$a", "say \"hi\""),
        ("#set($a = 'it''s')$a", "it's"),
        ("#set($l = [1, 'two', 3.5, true])$l", "[1, two, 3.5, true]"),
        (
            "#set($m = {'a': 1, 'b': [1, 2], 'c': {'d': 'e'}})$m",
            "{a=1, b=[1, 2], c={d=e}}",
        ),
        ("#set($r = [1..4])$r", "[1, 2, 3, 4]"),
        ("#set($r = [3..1])$r", "[3, 2, 1]"),
        ("#set($n = 2)#set($r = [0..$n])$r", "[0, 1, 2]"),
        ("#set($l = [])#set($b = $l)$b.add(1) $l", "true [1]"),
        ("#set($m = {})#set($m.k = 'v')$m.k", "v"),
        ("#set($l = [1, 2])#set($l[0] = 9)$l", "[9, 2]"),
        ("#set($l = [1, 2, 3])$l[1] $l[-1]", "2 3"),
        ("#set($m = {'k': 'v'})$m['k']", "v"),
    ]);
}

#[test]
fn conditions() {
    check(&[
        ("#if(true)y#else n#end", "y"),
        ("#if(false)y#else n#end", " n"),
        ("#if($missing)y#{else}n#end", "n"),
        ("#if('')y#end", ""),
        ("#set($e = '')#if($e)y#end", "y"),
        ("#if(1 + 1)y#end", ""),
        ("#if(1 == 1.0)y#end", "y"),
        ("#if(1 == '1')y#end", "y"),
        ("#if('a' == 'a' && 2 > 1)y#end", "y"),
        ("#if('a' eq 'b' or 2 ge 2)y#end", "y"),
        ("#if(not false and !$missing)y#end", "y"),
        ("#if(1 < 'a')y#else n#end", " n"),
        ("#if($missing == $alsoMissing)y#end", "y"),
        ("#if(1 > 2)a#elseif(2 > 1)b#else c#end", "b"),
        ("#if([1, 2] == [1, 2])y#end", "y"),
        ("#if({'a': 1} == {'a': 1})y#end", "y"),
    ]);
}

#[test]
fn foreach_loops() {
    check(&[
        ("#foreach($i in [1..3])$i#end", "123"),
        (
            "#foreach($i in [1, 2, 3])$i#if($foreach.hasNext),#end#end",
            "1,2,3",
        ),
        (
            "#foreach($i in ['a', 'b'])$foreach.index:$foreach.count:$velocityCount #end",
            "0:1:1 1:2:2 ",
        ),
        ("#foreach($i in [1..5])#if($i == 3)#break#end$i#end", "12"),
        ("#foreach($i in [1..3])$i#end$i", "123$i"),
        ("#set($i = 'kept')#foreach($i in [1..3])#end$i", "kept"),
        ("#foreach($v in {'a': 1, 'b': 2})$v#end", "12"),
        (
            "#set($m = {'a': 1, 'b': 2})#foreach($k in $m.keySet())$k#end",
            "ab",
        ),
        (
            "#set($m = {'a': 1})#foreach($e in $m.entrySet())$e.key=$e.value $e#end",
            "a=1 a=1",
        ),
        ("#foreach($x in $missing)never#end", ""),
        ("#foreach($x in 'str')never#end", ""),
        (
            "#foreach($i in [1..3])#foreach($j in [1..2])$i$j #end#end",
            "11 12 21 22 31 32 ",
        ),
        ("a#stop b", "a"),
        ("#foreach($i in [1..3])$i#stop#end after", "1"),
    ]);
}

#[test]
fn foreach_stops_after_the_iteration_cap() {
    let out = render("#foreach($i in [1..5000])x#end");
    assert_eq!(out.len(), 1000);
    let out = render("#set($c = 0)#foreach($i in [1..1500])#set($c = $c + 1)#end$c");
    assert_eq!(out, "1000");
}

#[test]
fn whitespace_of_directive_lines() {
    check(&[
        ("#set($a = 1)\nx", "x"),
        ("  #set($a = 1)\nx", "x"),
        ("a\n    #set($a = 1)\nb", "a\n    b"),
        ("#set($a = 1)$a  #set($b = 2)$b", "12"),
        ("#if(true)\nx\n#end\ny", "x\ny"),
        ("  #if(true)\n  x\n  #end\ny", "    x\n  y"),
        ("#foreach($i in [1, 2])\n$i\n#end\n", "1\n2\n"),
        ("#if(false)\nx\n#else\ny\n#end\n", "y\n"),
        ("#if(true) x #end", " x "),
        ("#set($a = 1)   \nx", "x"),
        ("#set($a = 1) y", " y"),
        ("#if(true)\r\nx\r\n#end\r\n", "x\r\n"),
    ]);
}

#[test]
fn string_methods() {
    check(&[
        (
            "#set($s = 'Hello')$s.length() $s.toUpperCase() $s.toLowerCase()",
            "5 HELLO hello",
        ),
        (
            "#set($s = 'Hello')$s.substring(1) $s.substring(1, 3) $s.charAt(0)",
            "ello el H",
        ),
        (
            "#set($s = 'Hello')$s.indexOf('l') $s.indexOf('l', 3) $s.lastIndexOf('l') $s.indexOf('z')",
            "2 3 3 -1",
        ),
        (
            "#set($s = 'Hello')$s.contains('ell') $s.startsWith('He') $s.endsWith('lo')",
            "true true true",
        ),
        (
            "#set($s = ' pad ')[$s.trim()] $s.isEmpty() $s.equals(' pad ')",
            "[pad] false true",
        ),
        (
            "#set($s = 'a.b.c')$s.replace('.', '/') $s.replaceAll('\\.', '-') $s.replaceFirst('[.]', '')",
            "a/b/c a-b-c ab.c",
        ),
        (
            "#set($s = 'john smith')$s.replaceAll('(\\w+) (\\w+)', '$2, $1')",
            "smith, john",
        ),
        (
            "#set($s = 'a,b,,c,,')$s.split(',') $s.split(',').size()",
            "[a, b, , c] 4",
        ),
        (
            "#set($s = 'abc123')$s.matches('[a-z]+[0-9]+') $s.matches('[a-z]+')",
            "true false",
        ),
        ("#set($s = 'héllo😀')$s.length()", "7"),
        ("#set($s = 'x')$s.size()", "$s.size()"),
        ("#set($s = 'x')$s.nope()", "$s.nope()"),
        ("#set($s = 'Hello')$s.substring('1')", "$s.substring('1')"),
    ]);
}

#[test]
fn list_and_map_methods() {
    check(&[
        (
            "#set($l = [1, 2, 3])$l.size() $l.isEmpty() $l.get(0) $l.contains(2) $l.indexOf(3)",
            "3 false 1 true 2",
        ),
        (
            "#set($l = [])$l.isEmpty()#set($d = $l.add('a'))$l $l.size()",
            "true[a] 1",
        ),
        (
            "#set($m = {'a': 1})$m.size() $m.containsKey('a') $m.containsKey('b') $m.get('a') $m.keySet() $m.values()",
            "1 true false 1 [a] [1]",
        ),
        (
            "#set($m = {'a': 1})$m.put('b', 2) $m",
            "$m.put('b', 2) {a=1, b=2}",
        ),
        (
            "#set($m = {'a': 1})$!m.put('b', 2)$m.put('a', 5) $m",
            "1 {a=5, b=2}",
        ),
        (
            "#set($m = {'a': 1, 'b': 2})$m.remove('a') $m $m.entrySet()",
            "1 {b=2} [b=2]",
        ),
        ("#set($l = [1, 2])$l.add(0, 9)|$l", "|[9, 1, 2]"),
        ("#set($l = [1, 2])$l.clear()|$l", "|[]"),
    ]);
}

#[test]
fn input_variables() {
    check(&[
        ("$input.params('id')", "abc"),
        ("$input.params('q')", "x y"),
        ("$input.params('X-Trace')", "t-1"),
        ("[$input.params('x-trace')]", "[]"),
        ("[$input.params('none')]", "[]"),
        (
            "$input.params()",
            "{path={id=abc}, querystring={q=x y, id=from-query}, header={X-Trace=t-1}}",
        ),
        ("$input.params().header.get('X-Trace')", "t-1"),
        ("$input.json('$.name')", "\"Ann\""),
        ("$input.json('$.nested')", "{\"k\":\"v\",\"list\":[1,2]}"),
        ("$input.json('$.items[*].id')", "[1,2]"),
        ("$input.json('$.missing')", "null"),
        ("$input.path('$.name')", "Ann"),
        ("$input.path('$.price')", "249.99"),
        ("$input.path('$.items').size()", "2"),
        ("$input.path('$.items')[1].tag", "b"),
        ("$input.path('$.nested')", "{k=v, list=[1,2]}"),
        (
            "$input.path('$.items')",
            "[{\"id\":1,\"tag\":\"a\"},{\"id\":2,\"tag\":\"b\"}]",
        ),
        ("$input.path('$.missing')", "$input.path('$.missing')"),
        ("$input.path('$.items.length()')", "2"),
        ("#foreach($it in $input.path('$.items'))$it.id#end", "12"),
        ("#set($n = $input.path('$.n'))#set($m = $n * 2)$m", "6"),
        ("$input.path('$').name", "Ann"),
    ]);
}

#[test]
fn input_body_edge_cases() {
    let mut empty = input();
    empty.body = String::new();
    assert_eq!(
        render_with(
            "$input.body|$input.json('$')|$input.path('$').size()",
            &empty
        )
        .unwrap(),
        "{}|{}|0"
    );
    let mut text = input();
    text.body = "not json".into();
    assert_eq!(render_with("$input.body", &text).unwrap(), "not json");
    let t = Template::parse("$input.json('$')").unwrap();
    let e = t
        .render(&text, &json!({}), &BTreeMap::new(), &Limits::default())
        .unwrap_err();
    assert_eq!(e.kind, RenderErrorKind::InvalidBody);
    assert_eq!((e.line, e.column), (1, 1));
}

#[test]
fn util_functions() {
    check(&[
        ("$util.escapeJavaScript($input.path('$.s'))", "it\\'s"),
        ("$util.escapeJavaScript('a\"b/c')", "a\\\"b\\/c"),
        ("$util.urlEncode('a b&c')", "a+b%26c"),
        ("$util.urlDecode('a+b%26c')", "a b&c"),
        ("$util.base64Encode('hello')", "aGVsbG8="),
        ("$util.base64Decode('aGVsbG8=')", "hello"),
        (
            "#set($o = $util.parseJson('{\"a\":{\"b\":[1,2,3]}}'))$o.a.b[0] $o.a.b.size()",
            "1 3",
        ),
        (
            "$util.escapeJavaScript($missing)",
            "$util.escapeJavaScript($missing)",
        ),
    ]);
}

#[test]
fn parse_errors_carry_position() {
    let cases = [
        ("#if(true)x", 1, 1, "#end"),
        ("line1\n  #foreach($x in)", 2, 17, "expression"),
        ("#end", 1, 1, "#end"),
        ("#else", 1, 1, "#else"),
        ("ab #set $x = 1", 1, 4, "("),
        ("#macro(foo)x#end", 1, 1, "not supported"),
        ("#define($b)x#end", 1, 1, "not supported"),
        ("#set($a = 'open)", 1, 11, "unterminated"),
        ("x\n#* never closed", 2, 1, "comment"),
        ("#if($a == )x#end", 1, 11, "expression"),
        ("${a.b", 1, 6, "}"),
    ];
    for (src, line, column, needle) in cases {
        let e = Template::parse(src).expect_err(src);
        assert_eq!((e.line, e.column), (line, column), "{src:?}: {e}");
        assert!(e.message.contains(needle), "{src:?}: {e}");
    }
}

#[test]
fn runtime_errors() {
    let cases = [
        ("#set($s = 'abc')$s.substring(5)", RenderErrorKind::Failed),
        ("#set($l = [1])$l.get(3)", RenderErrorKind::Failed),
        ("$util.base64Decode('***')", RenderErrorKind::Failed),
        ("$util.parseJson('{')", RenderErrorKind::Failed),
        ("$input.json('$[?(@.a ==')", RenderErrorKind::Failed),
        (
            "#set($s = 'a')$s.replaceAll('(', '')",
            RenderErrorKind::Failed,
        ),
    ];
    for (src, kind) in cases {
        let t = Template::parse(src).unwrap();
        let e = t
            .render(&input(), &json!({}), &BTreeMap::new(), &Limits::default())
            .expect_err(src);
        assert_eq!(e.kind, kind, "{src}: {e}");
    }
}

#[test]
fn limits_end_runaway_templates() {
    let small = Limits {
        max_output_bytes: 1000,
        max_steps: 100_000,
        max_foreach_iterations: 1000,
        ..Limits::default()
    };
    let run = |src: &str| {
        Template::parse(src)
            .unwrap()
            .render(&input(), &json!({}), &BTreeMap::new(), &small)
            .unwrap_err()
            .kind
    };
    assert_eq!(
        run("#foreach($i in [1..1000])0123456789#end"),
        RenderErrorKind::OutputTooLarge
    );
    assert_eq!(
        run("#set($s = 'xx')#foreach($i in [1..40])#set($s = \"$s$s\")#end"),
        RenderErrorKind::OutputTooLarge
    );
    assert_eq!(
        run("#foreach($a in [1..1000])#foreach($b in [1..1000])#end#end"),
        RenderErrorKind::BudgetExhausted
    );
    assert_eq!(
        run("#set($r = [1..100000000])"),
        RenderErrorKind::BudgetExhausted
    );
    assert_eq!(
        run("#set($l = [1])#foreach($i in [1..100])#set($d = $l.addAll($l))#end"),
        RenderErrorKind::BudgetExhausted
    );
    assert_eq!(
        run(
            "#set($s = 'ab')$s.replace('', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx').replace('', 'yyyyyyyyyyyyyyyyyyy')"
        ),
        RenderErrorKind::OutputTooLarge
    );
    assert_eq!(
        run("#set($a = [])#set($b = [$a])#set($d = $a.add($b))$a"),
        RenderErrorKind::Failed
    );
    assert_eq!(
        run("#set($a = [])#set($b = [$a])#set($d = $a.add($b))#if($a == $b)#end"),
        RenderErrorKind::Failed
    );
}

#[test]
fn templates_can_set_context_overrides() {
    let t = Template::parse(
        "#set($context.responseOverride.status = 404)#set($context.responseOverride.header.X-Why = \"gone\")body",
    )
    .unwrap();
    let context = json!({"responseOverride": {"header": {}}, "stage": "prod"});
    let (out, after) = t
        .render_with_context(&input(), &context, &BTreeMap::new(), &Limits::default())
        .unwrap();
    assert_eq!(out, "body");
    assert_eq!(after["responseOverride"]["status"], 404);
    assert_eq!(after["responseOverride"]["header"]["X-Why"], "gone");
    assert_eq!(after["stage"], "prod");
}
