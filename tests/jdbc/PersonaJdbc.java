// persona through the PostgreSQL JDBC driver, as a GUI such as CloudBeaver uses it: a login
// role with a password over loopback TCP, the README's getting-started statements, a drift
// report, and every view's columns, types and comments read through DatabaseMetaData.
//
//   java -cp /usr/share/java/postgresql.jar tests/jdbc/PersonaJdbc.java URL USER PASSWORD
//
// Prints one "ok - ..." or "not ok - ..." line per check (scripts/test.sh counts them) and
// exits with 1 when any check failed.

import java.sql.Array;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

public class PersonaJdbc {
    private static int failed = 0;

    private static void check(String name, Object expected, Object actual) {
        if (Objects.equals(expected, actual)) {
            System.out.println("ok - jdbc: " + name);
        } else {
            failed++;
            System.out.println("not ok - jdbc: " + name + ": expected <" + expected + ">, got <" + actual + ">");
        }
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            return r.next() ? r.getString(1) : null;
        }
    }

    // Each relation a GUI lists, with its columns in order as "name type" (the driver's
    // TYPE_NAME: int4, _text for text[], ...) and whether it is a view or a table.
    private static Map<String, String[]> expectedRelations() {
        Map<String, String[]> m = new LinkedHashMap<>();
        m.put("VIEW models", new String[] {"model text", "version int4", "stage text", "k int4",
            "features _text", "labels _text", "standardized bool", "origin text",
            "created_at timestamptz", "created_by text"});
        m.put("VIEW personas", new String[] {"model text", "version int4", "persona_id int4",
            "label text", "centroid _float8", "size int8", "share float8", "previous_id int4"});
        m.put("VIEW runs", new String[] {"run_id int8", "model text", "version int4", "k int4",
            "params jsonb", "metrics jsonb", "started_at timestamptz", "duration interval",
            "created_by text", "source text", "inertia float8", "silhouette float8",
            "calinski_harabasz float8", "davies_bouldin float8", "silhouette_inertia_ratio float8",
            "n_iter int4", "rows_used int8", "rows_skipped int8"});
        m.put("TABLE drift_reports", new String[] {"report_id int8", "model text", "version int4",
            "source text", "method text", "drift_share float8", "checked_at timestamptz",
            "checked_by text", "dataset_drift bool", "drifted_features int4",
            "total_features int4", "share float8", "n_current int8", "details jsonb"});
        m.put("VIEW drift_features", new String[] {"report_id int8", "model text", "version int4",
            "checked_at timestamptz", "ordinal int4", "feature text", "kind text", "method text",
            "statistic float8", "p_value float8", "threshold float8", "drifted bool",
            "n_reference int8", "n_current int8", "n_null int8", "bin_edges _float8",
            "bar_labels _text", "reference_counts _int8", "current_counts _int8"});
        m.put("TABLE jobs", new String[] {"job_id int8", "model text", "source text",
            "promote_mode text", "status text", "started_at timestamptz",
            "finished_at timestamptz", "error text", "report_id int8", "new_version int4",
            "rows_used int8", "fingerprint text", "run_by text"});
        m.put("TABLE model_events", new String[] {"event_id int8", "model text", "version int4",
            "from_stage text", "to_stage text", "changed_at timestamptz", "changed_by text",
            "reason text", "report_id int8"});
        m.put("VIEW job_status", new String[] {"model text", "last_run_at timestamptz",
            "last_status text", "last_success_at timestamptz", "failures_since_success int8"});
        m.put("VIEW stale_models", new String[] {"model text", "last_success_at timestamptz",
            "last_status text", "failures_since_success int8", "expected_interval interval"});
        return m;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: PersonaJdbc URL USER PASSWORD");
            System.exit(2);
        }
        try (Connection c = DriverManager.getConnection(args[0], args[1], args[2])) {
            check("connected over TCP as the login role", args[1], one(c, "SELECT current_user"));
            check("the connection is not a Unix socket", "t",
                one(c, "SELECT inet_client_addr() IS NOT NULL"));
            gettingStarted(c);
            fit(c);
            driftReport(c);
            metadata(c);
            readEveryView(c);
        }
        System.exit(failed == 0 ? 0 : 1);
    }

    // The README's "Getting started", statement by statement (CREATE EXTENSION was run by the
    // database's superuser; the role was granted the rights the README says).
    private static void gettingStarted(Connection c) throws SQLException {
        check("import_centroids registers version 1", "1", one(c,
            "SELECT persona.import_centroids('dtc', '{{-2.5,9.0},{-9.6,9.4},{2.2,-7.2}}', "
                + "labels => '{Sustainable Steve,Eco-Conscious Haley,Budget-Minded Ben}', "
                + "features => '{x1,x2}')"));
        check("assign_persona of a literal", "Sustainable Steve",
            one(c, "SELECT assign_persona(ARRAY[-3, 8]::float8[])"));
        try (PreparedStatement p = c.prepareStatement("SELECT assign_persona(?, ?)")) {
            p.setArray(1, c.createArrayOf("float8", new Double[] {2.0, -7.0}));
            p.setString(2, "dtc");
            try (ResultSet r = p.executeQuery()) {
                r.next();
                check("assign_persona with a bound float8[] parameter", "Budget-Minded Ben",
                    r.getString(1));
            }
        }
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE customers (customer_id integer PRIMARY KEY, x1 float8, "
                + "x2 float8, persona text)");
            s.execute("INSERT INTO customers (customer_id, x1, x2) SELECT i, "
                + "(ARRAY[-2.5, -9.6, 2.2])[i % 3 + 1] + (i % 7) * 0.1, "
                + "(ARRAY[9.0, 9.4, -7.2])[i % 3 + 1] - (i % 5) * 0.1 "
                + "FROM generate_series(1, 300) i");
            int updated = s.executeUpdate("UPDATE customers SET persona = assign_persona(ARRAY[x1, x2])");
            check("UPDATE labels every customer", 300, updated);
        }
        check("customers per persona",
            "Budget-Minded Ben=100,Eco-Conscious Haley=100,Sustainable Steve=100",
            one(c, "SELECT string_agg(persona || '=' || n, ',' ORDER BY persona) "
                + "FROM (SELECT persona, count(*) n FROM customers GROUP BY 1) t"));
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT * FROM persona.nearest(ARRAY[-6, 9]::float8[])")) {
            r.next();
            // (-6, 9) is 3.5 from Steve (-2.5, 9.0) and 3.62 from Haley (-9.6, 9.4).
            check("nearest: persona", "Sustainable Steve", r.getString("persona"));
            check("nearest: runner-up", "Eco-Conscious Haley", r.getString("runner_up"));
            double margin = r.getDouble("margin");
            double expected = Math.hypot(-6 + 9.6, 9 - 9.4) - Math.hypot(-6 + 2.5, 9 - 9.0);
            check("nearest: margin = runner_up_distance - distance", true,
                Math.abs(margin - expected) < 1e-9);
        }
    }

    // A fit, so that persona.runs has rows: its metrics come back as plain numbers.
    private static void fit(Connection c) throws SQLException {
        check("fit registers version 1", "1",
            one(c, "SELECT persona.fit('fitted', 'customers', '{x1,x2}', k => 3, n_init => 2)"));
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT k, source, silhouette, inertia, rows_used, "
                 + "rows_skipped FROM persona.runs WHERE model = 'fitted'")) {
            r.next();
            check("runs: k and source", "3 customers", r.getInt("k") + " " + r.getString("source"));
            double silhouette = r.getDouble("silhouette");
            check("runs: silhouette is a number in (0.5, 1]", true, silhouette > 0.5 && silhouette <= 1);
            check("runs: inertia is a number > 0", true, r.getDouble("inertia") > 0);
            check("runs: rows used and skipped", "300 0",
                r.getLong("rows_used") + " " + r.getLong("rows_skipped"));
        }
    }

    // A baseline, a saved check and its HTML page, and an error with its SQLSTATE.
    private static void driftReport(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE VIEW customers_now AS SELECT customer_id, x1 + 3 AS x1, x2 FROM customers");
        }
        check("set_baseline", "1", one(c, "SELECT persona.set_baseline('dtc', 'customers')"));
        check("check_drift finds the shifted x1", "true|1|2",
            one(c, "SELECT dataset_drift::text || '|' || drifted_features || '|' || total_features "
                + "FROM persona.check_drift('dtc', 'customers_now')"));
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT feature, drifted, bin_edges, reference_counts "
                 + "FROM persona.drift_features WHERE model = 'dtc' ORDER BY ordinal")) {
            List<String> rows = new ArrayList<>();
            long bars = -1;
            while (r.next()) {
                rows.add(r.getString("feature") + "=" + r.getString("drifted"));
                if (r.getString("feature").equals("x1")) {
                    Array edges = r.getArray("bin_edges");
                    Long[] counts = (Long[]) r.getArray("reference_counts").getArray();
                    bars = ((Double[]) edges.getArray()).length - counts.length;
                }
            }
            check("drift_features rows", "[x1=t, x2=f, persona_share=f, distance=t]", rows.toString());
            check("x1's histogram has one more edge than bars", 1L, bars);
        }
        String html = one(c, "SELECT persona.drift_report_html(max(report_id)) FROM persona.drift_reports");
        check("drift_report_html is an HTML page", true, html != null && html.startsWith("<!DOCTYPE html>"));
        check("drift_report_html has no script", false, html != null && html.toLowerCase().contains("<script"));
        try {
            one(c, "SELECT persona.drift_report_html(424242)");
            check("unknown report id raises an error", "42704", "no error");
        } catch (SQLException e) {
            check("unknown report id raises 42704", "42704", e.getSQLState());
        }
    }

    private static void metadata(Connection c) throws SQLException {
        DatabaseMetaData md = c.getMetaData();
        for (Map.Entry<String, String[]> e : expectedRelations().entrySet()) {
            String kind = e.getKey().split(" ")[0];
            String name = e.getKey().split(" ")[1];
            String remarks = null;
            String type = null;
            try (ResultSet r = md.getTables(null, "persona", name, null)) {
                if (r.next()) {
                    type = r.getString("TABLE_TYPE");
                    remarks = r.getString("REMARKS");
                }
            }
            check("persona." + name + " is a " + kind, kind, type);
            check("persona." + name + " has a comment", true, remarks != null && !remarks.isBlank());
            List<String> columns = new ArrayList<>();
            List<String> uncommented = new ArrayList<>();
            try (ResultSet r = md.getColumns(null, "persona", name, null)) {
                while (r.next()) {
                    columns.add(r.getString("COLUMN_NAME") + " " + r.getString("TYPE_NAME"));
                    String remark = r.getString("REMARKS");
                    if (remark == null || remark.isBlank()) {
                        uncommented.add(r.getString("COLUMN_NAME"));
                    }
                }
            }
            check("persona." + name + " columns and types", List.of(e.getValue()), columns);
            check("persona." + name + " columns without a comment", List.of(), uncommented);
        }
    }

    // What a result grid does: every column of every row read with getObject, and the
    // result's metadata agreeing with DatabaseMetaData.
    private static void readEveryView(Connection c) throws SQLException {
        for (Map.Entry<String, String[]> e : expectedRelations().entrySet()) {
            String name = e.getKey().split(" ")[1];
            int rows = 0;
            List<String> types = new ArrayList<>();
            try (Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("SELECT * FROM persona." + name)) {
                ResultSetMetaData rm = r.getMetaData();
                for (int i = 1; i <= rm.getColumnCount(); i++) {
                    // The driver names an identity bigint column of a result "bigserial"
                    // (DatabaseMetaData says int8); both are a plain bigint in the grid.
                    String typeName = rm.getColumnTypeName(i).equals("bigserial") && rm.isAutoIncrement(i)
                        ? "int8" : rm.getColumnTypeName(i);
                    types.add(rm.getColumnName(i) + " " + typeName);
                }
                while (r.next()) {
                    for (int i = 1; i <= rm.getColumnCount(); i++) {
                        r.getObject(i);
                    }
                    rows++;
                }
            }
            check("SELECT * FROM persona." + name + " reads as declared", List.of(e.getValue()), types);
            check("persona." + name + " has rows to show", true,
                rows > 0 || name.equals("jobs") || name.equals("stale_models"));
        }
    }
}
