// Warm SHACL timing with Apache Jena, for scripts/bench.py: one JVM, the shapes and data parsed once, then the
// validation repeated. Prints one JSON object; writes the last validation report as Turtle.
// Usage: java -cp CLASSPATH ShaclBench SHAPES DATA ITERATIONS REPORT_OUT
import java.io.FileOutputStream;
import java.io.OutputStream;

import org.apache.jena.graph.Graph;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFDataMgr;
import org.apache.jena.shacl.ShaclValidator;
import org.apache.jena.shacl.Shapes;
import org.apache.jena.shacl.ValidationReport;

public class ShaclBench {
    public static void main(String[] args) throws Exception {
        long t0 = System.nanoTime();
        Graph shapesGraph = RDFDataMgr.loadGraph(args[0]);
        Graph data = RDFDataMgr.loadGraph(args[1]);
        long t1 = System.nanoTime();
        int iterations = Integer.parseInt(args[2]);
        StringBuilder times = new StringBuilder();
        ValidationReport report = null;
        for (int i = 0; i < iterations; i++) {
            long start = System.nanoTime();
            Shapes shapes = Shapes.parse(shapesGraph);
            report = ShaclValidator.get().validate(shapes, data);
            long end = System.nanoTime();
            if (i > 0) times.append(",");
            times.append((end - start) / 1e9);
        }
        try (OutputStream out = new FileOutputStream(args[3])) {
            RDFDataMgr.write(out, report.getModel(), Lang.TURTLE);
        }
        System.out.println("{\"load_s\": " + (t1 - t0) / 1e9 + ", \"times_s\": [" + times + "], \"conforms\": "
                           + report.conforms() + ", \"triples\": " + data.size() + "}");
    }
}
