// Counts what a screenshot shows, with the JDK alone (javax.imageio reads PNG):
//
//   java tests/report/PngStats.java FILE.png
//
// prints "width height non_white reference_bars current_bars": pixels that are not near
// white, and pixels of the two bar colours of persona.drift_report_html (reference #98a2b3,
// current #e8590c, within a small tolerance for anti-aliasing).

import java.awt.image.BufferedImage;
import java.io.File;
import javax.imageio.ImageIO;

public class PngStats {
    private static boolean near(int rgb, int target, int tolerance) {
        for (int shift = 0; shift <= 16; shift += 8) {
            int a = (rgb >> shift) & 0xff;
            int b = (target >> shift) & 0xff;
            if (Math.abs(a - b) > tolerance) {
                return false;
            }
        }
        return true;
    }

    public static void main(String[] args) throws Exception {
        BufferedImage image = ImageIO.read(new File(args[0]));
        if (image == null) {
            System.out.println("0 0 0 0 0");
            return;
        }
        long nonWhite = 0;
        long reference = 0;
        long current = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y) & 0xffffff;
                if (!near(rgb, 0xffffff, 16)) {
                    nonWhite++;
                }
                if (near(rgb, 0x98a2b3, 6)) {
                    reference++;
                }
                if (near(rgb, 0xe8590c, 6)) {
                    current++;
                }
            }
        }
        System.out.println(image.getWidth() + " " + image.getHeight() + " " + nonWhite + " "
            + reference + " " + current);
    }
}
