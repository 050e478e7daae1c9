/*
 * A VFIO type1 client compiled against the system's <linux/vfio.h>: it prints the
 * request numbers and constants it would use, then each ioctl argument struct as the
 * bytes it would pass, so the test can replay them through the simulated syscalls.
 * Usage: vfio-client <vaddr> <iova> <size> <info_argsz>
 */
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void dump(const char *name, const void *p, size_t n)
{
	const unsigned char *b = p;
	printf("%s ", name);
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
	printf("\n");
}

int main(int argc, char **argv)
{
	if (argc != 5)
		return 2;
	unsigned long long vaddr = strtoull(argv[1], NULL, 0);
	unsigned long long iova = strtoull(argv[2], NULL, 0);
	unsigned long long size = strtoull(argv[3], NULL, 0);
	unsigned int info_argsz = strtoul(argv[4], NULL, 0);

	printf("const VFIO_GET_API_VERSION %lu\n", (unsigned long)VFIO_GET_API_VERSION);
	printf("const VFIO_CHECK_EXTENSION %lu\n", (unsigned long)VFIO_CHECK_EXTENSION);
	printf("const VFIO_SET_IOMMU %lu\n", (unsigned long)VFIO_SET_IOMMU);
	printf("const VFIO_IOMMU_GET_INFO %lu\n", (unsigned long)VFIO_IOMMU_GET_INFO);
	printf("const VFIO_IOMMU_MAP_DMA %lu\n", (unsigned long)VFIO_IOMMU_MAP_DMA);
	printf("const VFIO_IOMMU_UNMAP_DMA %lu\n", (unsigned long)VFIO_IOMMU_UNMAP_DMA);
	printf("const VFIO_API_VERSION %d\n", VFIO_API_VERSION);
	printf("const VFIO_TYPE1_IOMMU %d\n", VFIO_TYPE1_IOMMU);
	printf("const VFIO_TYPE1v2_IOMMU %d\n", VFIO_TYPE1v2_IOMMU);
	printf("const VFIO_UNMAP_ALL %d\n", VFIO_UNMAP_ALL);
	printf("const sizeof_info %zu\n", sizeof(struct vfio_iommu_type1_info));
	printf("const sizeof_map %zu\n", sizeof(struct vfio_iommu_type1_dma_map));
	printf("const sizeof_unmap %zu\n", sizeof(struct vfio_iommu_type1_dma_unmap));
	printf("const sizeof_cap_header %zu\n", sizeof(struct vfio_info_cap_header));
	printf("const sizeof_cap_iova_range %zu\n", sizeof(struct vfio_iommu_type1_info_cap_iova_range));
	printf("const sizeof_cap_dma_avail %zu\n", sizeof(struct vfio_iommu_type1_info_dma_avail));

	struct vfio_iommu_type1_dma_map map;
	memset(&map, 0, sizeof(map));
	map.argsz = sizeof(map);
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	map.vaddr = vaddr;
	map.iova = iova;
	map.size = size;
	dump("map", &map, sizeof(map));

	struct vfio_iommu_type1_dma_unmap unmap;
	memset(&unmap, 0, sizeof(unmap));
	unmap.argsz = sizeof(unmap);
	unmap.iova = iova;
	unmap.size = size;
	dump("unmap", &unmap, sizeof(unmap));

	memset(&unmap, 0, sizeof(unmap));
	unmap.argsz = sizeof(unmap);
	unmap.flags = VFIO_DMA_UNMAP_FLAG_ALL;
	dump("unmap_all", &unmap, sizeof(unmap));

	struct vfio_iommu_type1_info info;
	memset(&info, 0, sizeof(info));
	info.argsz = info_argsz;
	dump("info", &info, sizeof(info));
	return 0;
}
