// Many SHACL validations with Apache Jena in one JVM, for the cross-engine tests (tests/test_jena.py): a JVM
// start costs about a second, and the suite validates dozens of small (shapes, data) pairs.
// Usage: scripts/jena-shacl --batch LIST, where each line of LIST is SHAPES<TAB>DATA<TAB>REPORT_OUT.
// Each report is written as Turtle to REPORT_OUT; a pair that fails to load writes its error to REPORT_OUT.err
// and the exit status is 1 at the end.
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;

import org.apache.jena.graph.Graph;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFDataMgr;
import org.apache.jena.shacl.ShaclValidator;
import org.apache.jena.shacl.Shapes;
import org.apache.jena.shacl.ValidationReport;

public class ShaclBatch {
    public static void main(String[] args) throws Exception {
        List<String> lines = Files.readAllLines(Paths.get(args[0]), StandardCharsets.UTF_8);
        int failed = 0;
        for (String line : lines) {
            if (line.isBlank()) continue;
            String[] parts = line.split("\t");
            try {
                Graph shapesGraph = RDFDataMgr.loadGraph(parts[0]);
                Graph data = RDFDataMgr.loadGraph(parts[1]);
                ValidationReport report = ShaclValidator.get().validate(Shapes.parse(shapesGraph), data);
                try (OutputStream out = new FileOutputStream(parts[2])) {
                    RDFDataMgr.write(out, report.getModel(), Lang.TURTLE);
                }
            } catch (Exception e) {
                failed++;
                Files.writeString(Paths.get(parts[2] + ".err"), e.toString(), StandardCharsets.UTF_8);
            }
        }
        System.exit(failed == 0 ? 0 : 1);
    }
}
