// Renders a corpus of templates with Apache Velocity 1.7 (the engine API Gateway's mapping
// templates are written for), with $input and $util rebuilt from API Gateway's documented
// semantics over Jayway JsonPath and json-smart. Used by tests/differential.rs.
//
// Usage: java VtlHarness CORPUS BODY_FILE
// Corpus: cases opened by a line "--- name"; the template is every line up to the next
// such line (its last newline excluded). Output, per case: "--- name BYTES\n", then BYTES
// bytes of UTF-8 output (or "ERROR " and the exception's class), then "\n".

import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.PathNotFoundException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.minidev.json.JSONValue;
import org.apache.commons.lang.StringEscapeUtils;
import org.apache.velocity.VelocityContext;
import org.apache.velocity.app.VelocityEngine;

public class VtlHarness {
    public static class Input {
        private final String body;
        private final Map<String, Map<String, String>> params;

        Input(String body, Map<String, Map<String, String>> params) {
            this.body = body;
            this.params = params;
        }

        public String getBody() {
            return body.isEmpty() ? "{}" : body;
        }

        private String doc() {
            return body.trim().isEmpty() ? "{}" : body;
        }

        public Object path(String path) {
            try {
                return JsonPath.parse(doc()).read(path);
            } catch (PathNotFoundException e) {
                return null;
            }
        }

        public String json(String path) {
            Object o = path(path);
            return o == null ? "null" : JSONValue.toJSONString(o);
        }

        public Map<String, Map<String, String>> params() {
            Map<String, Map<String, String>> copy = new LinkedHashMap<>();
            for (Map.Entry<String, Map<String, String>> e : params.entrySet()) {
                copy.put(e.getKey(), new LinkedHashMap<>(e.getValue()));
            }
            return copy;
        }

        public String params(String name) {
            for (Map<String, String> m : params.values()) {
                if (m.containsKey(name)) {
                    return m.get(name);
                }
            }
            return "";
        }
    }

    public static class Util {
        public String escapeJavaScript(String s) {
            return StringEscapeUtils.escapeJavaScript(s);
        }

        public Object parseJson(String s) {
            return JsonPath.parse(s).read("$");
        }

        public String urlEncode(String s) throws Exception {
            return URLEncoder.encode(s, "UTF-8");
        }

        public String urlDecode(String s) throws Exception {
            return URLDecoder.decode(s, "UTF-8");
        }

        public String base64Encode(String s) {
            return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
        }

        public String base64Decode(String s) {
            return new String(Base64.getDecoder().decode(s), StandardCharsets.UTF_8);
        }
    }

    public static void main(String[] args) throws Exception {
        String corpus = new String(Files.readAllBytes(Paths.get(args[0])), StandardCharsets.UTF_8);
        String body = new String(Files.readAllBytes(Paths.get(args[1])), StandardCharsets.UTF_8);

        VelocityEngine engine = new VelocityEngine();
        engine.setProperty("runtime.log.logsystem.class", "org.apache.velocity.runtime.log.NullLogChute");
        engine.setProperty("directive.foreach.maxloops", "1000");
        engine.init();

        List<String> names = new ArrayList<>();
        List<String> templates = new ArrayList<>();
        StringBuilder current = null;
        for (String line : corpus.split("\n", -1)) {
            if (line.startsWith("--- ")) {
                if (current != null) {
                    templates.add(current.toString());
                }
                names.add(line.substring(4).trim());
                current = new StringBuilder();
            } else if (current != null) {
                current.append(line).append('\n');
            }
        }
        if (current != null) {
            templates.add(current.toString());
        }

        PrintStream out = new PrintStream(System.out, false, "UTF-8");
        for (int i = 0; i < names.size(); i++) {
            String template = templates.get(i);
            if (template.endsWith("\n")) {
                template = template.substring(0, template.length() - 1);
            }
            Map<String, Map<String, String>> params = new LinkedHashMap<>();
            Map<String, String> path = new LinkedHashMap<>();
            path.put("id", "abc");
            Map<String, String> query = new LinkedHashMap<>();
            query.put("q", "x y");
            query.put("id", "from-query");
            Map<String, String> header = new LinkedHashMap<>();
            header.put("X-Trace", "t-1");
            params.put("path", path);
            params.put("querystring", query);
            params.put("header", header);

            VelocityContext ctx = new VelocityContext();
            ctx.put("input", new Input(body, params));
            ctx.put("util", new Util());
            Map<String, Object> context = new LinkedHashMap<>();
            context.put("stage", "prod");
            Map<String, Object> identity = new LinkedHashMap<>();
            identity.put("sourceIp", "192.0.2.1");
            context.put("identity", identity);
            ctx.put("context", context);
            Map<String, String> stage = new LinkedHashMap<>();
            stage.put("env", "test");
            ctx.put("stageVariables", stage);

            String result;
            try {
                StringWriter w = new StringWriter();
                engine.evaluate(ctx, w, names.get(i), template);
                result = w.toString();
            } catch (Throwable e) {
                Throwable cause = e;
                while (cause.getCause() != null) {
                    cause = cause.getCause();
                }
                result = "ERROR " + cause.getClass().getSimpleName();
            }
            byte[] bytes = result.getBytes(StandardCharsets.UTF_8);
            out.print("--- " + names.get(i) + " " + bytes.length + "\n");
            out.write(bytes);
            out.print("\n");
        }
        out.flush();
    }
}
